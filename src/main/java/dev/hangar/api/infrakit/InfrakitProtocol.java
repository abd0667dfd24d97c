package dev.hangar.api.infrakit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.Fields;
import dev.hangar.api.Json;
import dev.hangar.api.infrakit.UnixSocketServer.HttpReply;
import dev.hangar.api.infrakit.UnixSocketServer.HttpRequest;
import dev.hangar.core.HangarException;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.eclipse.jetty.http.HttpStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The InfraKit instance plugin's two wire forms on one socket, told apart by the path:
 *
 * <ul>
 *   <li>2016 ({@code POST /Instance.Validate}, {@code /Instance.Provision}, {@code /Instance.Destroy/ID},
 *       {@code /Instance.DescribeInstances}): bodies are the bare arguments, answers the bare results,
 *       errors HTTP 400 {@code {"error": "..."}} (that client reads error bodies only on 400).
 *   <li>JSON-RPC 2.0 ({@code POST /}, InfraKit from late 2017 on): errors are HTTP 200 with a JSON-RPC
 *       error object, code -32000 (-32601 for an unknown method, -32700 for a body that is not JSON).
 * </ul>
 *
 * Every error message starts with Hangar's stable code ({@code invalid-memory: ...}), since neither
 * form has a field for one. Nothing here ever answers 500: an unexpected failure is logged and
 * answered in the protocol's error form.
 */
final class InfrakitProtocol implements UnixSocketServer.Exchanger {
    private static final Logger log = LoggerFactory.getLogger(InfrakitProtocol.class);
    static final String JSON = "application/json";
    /** The interface Handshake.Hello names: InfraKit's last Instance API. */
    static final String INSTANCE_INTERFACE = "Instance/0.6.1";
    /**
     * Each client checks the plugin for its own exact version, so every Instance version InfraKit
     * served is listed: their requests differ only in fields this plugin reads when present.
     */
    static final List<String> INSTANCE_VERSIONS = List.of("0.1.0", "0.2.0", "0.3.0", "0.4.0", "0.5.0", "0.6.0", "0.6.1");
    static final int RPC_SERVER_ERROR = -32000;
    static final int RPC_METHOD_NOT_FOUND = -32601;
    static final int RPC_INVALID_REQUEST = -32600;
    static final int RPC_PARSE_ERROR = -32700;

    private static final String PROVISION = "/Instance.Provision";
    private static final String VALIDATE = "/Instance.Validate";
    private static final String DESTROY = "/Instance.Destroy/";
    private static final String DESCRIBE = "/Instance.DescribeInstances";

    private final InfrakitFace face;

    InfrakitProtocol(InfrakitFace face) {
        this.face = face;
    }

    @Override
    public HttpReply answer(HttpRequest request) {
        if (!request.method().equals("POST")) {
            return plainError(405, "method-not-allowed", request.method() + " is not allowed: every call of the plugin is a POST");
        }
        if (!isJson(request.contentType())) {
            return plainError(415, "unsupported-media-type", "bodies are JSON (application/json, or no Content-Type), not " + request.contentType());
        }
        String path = request.path() == null || request.path().isEmpty() ? "/" : request.path();
        return path.equals("/") ? jsonRpc(request.body()) : form2016(path, request.body());
    }

    /** What the HTTP layer refused is answered in the 2016 form's error shape, which either era's client reads. */
    @Override
    public HttpReply refused(int status, String reason) {
        return plainError(status, HttpStatus.getMessage(status).toLowerCase(Locale.ROOT).replace(' ', '-'), reason);
    }

    // ---- the 2016 form ---------------------------------------------------------------------------

    private HttpReply form2016(String path, byte[] body) {
        try {
            if (path.equals(VALIDATE)) {
                face.validate(parse(body));
                return HttpReply.empty(200);
            }
            if (path.equals(PROVISION)) {
                return json(200, Json.MAPPER.createObjectNode().put("ID", face.provision(parse(body))));
            }
            if (path.startsWith(DESTROY) && path.length() > DESTROY.length()) {
                face.destroy(path.substring(DESTROY.length()));
                return HttpReply.empty(200);
            }
            if (path.equals(DESCRIBE)) {
                JsonNode tags = parse(body);
                ArrayNode all = Json.MAPPER.createArrayNode();
                for (InfrakitFace.Description d : face.describe(tags(tags, "the body"), false)) all.add(render(d));
                return json(200, all);
            }
            return plainError(404, "route-not-found", "no such call: POST " + path);
        } catch (HangarException e) {
            return plainError(400, e.code(), e.getMessage());
        } catch (RuntimeException e) {
            log.error("InfraKit POST {} failed", path, e);
            return plainError(400, "internal-error", "internal error; the service log has the details");
        }
    }

    // ---- JSON-RPC 2.0 ----------------------------------------------------------------------------

    private HttpReply jsonRpc(byte[] body) {
        JsonNode call;
        try {
            call = Json.MAPPER.readTree(body);
        } catch (IOException e) {
            return rpcError(NullNode.getInstance(), RPC_PARSE_ERROR, "invalid-json", "the body is not JSON: " + firstLine(e));
        }
        if (call == null || !call.isObject()) {
            return rpcError(NullNode.getInstance(), RPC_INVALID_REQUEST, "invalid-request", "a JSON-RPC call is one object (batches are not served)");
        }
        JsonNode id = call.has("id") ? call.get("id") : NullNode.getInstance();
        JsonNode methodNode = call.get("method");
        if (methodNode == null || !methodNode.isTextual()) {
            return rpcError(id, RPC_INVALID_REQUEST, "invalid-request", "a JSON-RPC call names its method as a string");
        }
        String method = methodNode.textValue();
        try {
            JsonNode result = call(method, params(call.get("params")));
            if (result == null) return rpcError(id, RPC_METHOD_NOT_FOUND, "method-not-found", "no such method: " + method);
            ObjectNode reply = Json.MAPPER.createObjectNode().put("jsonrpc", "2.0");
            reply.set("result", result);
            reply.set("id", id);
            return json(200, reply);
        } catch (HangarException e) {
            return rpcError(id, RPC_SERVER_ERROR, e.code(), e.getMessage());
        } catch (RuntimeException e) {
            log.error("InfraKit {} failed", method, e);
            return rpcError(id, RPC_SERVER_ERROR, "internal-error", "internal error; the service log has the details");
        }
    }

    /** The method's result, or null when there is no such method. */
    private JsonNode call(String method, JsonNode params) {
        String type = type(params);
        ObjectNode result = Json.MAPPER.createObjectNode();
        switch (method) {
            case "Handshake.Hello" -> {
                ObjectNode objects = result.putObject("Objects");
                objects.putArray(INSTANCE_INTERFACE).addObject().put("Name", ".").put("ProxyFor", "");
            }
            case "Plugin.Implements", "Handshake.Implements", "Plugin.APIs" -> {
                ArrayNode apis = result.putArray("APIs");
                for (String version : INSTANCE_VERSIONS) apis.addObject().put("Name", "Instance").put("Version", version);
            }
            case "Instance.Validate" -> {
                face.validate(params.get("Properties"));
                result.put("Type", type).put("OK", true);
            }
            case "Instance.Provision" -> result.put("Type", type).put("ID", face.provision(params.get("Spec")));
            case "Instance.Label" -> {
                face.label(instanceId(params), tags(params.get("Labels"), "Labels"));
                result.put("Type", type).put("OK", true);
            }
            case "Instance.Destroy" -> {
                face.destroy(instanceId(params));
                result.put("Type", type).put("OK", true);
            }
            case "Instance.DescribeInstances" -> {
                JsonNode withProperties = params.get("Properties");
                if (Fields.present(withProperties) && !withProperties.isBoolean()) {
                    throw HangarException.invalid("invalid-properties", "Properties must be true or false");
                }
                result.put("Type", type);
                ArrayNode descriptions = result.putArray("Descriptions");
                for (InfrakitFace.Description d : face.describe(tags(params.get("Tags"), "Tags"),
                        withProperties != null && withProperties.asBoolean())) {
                    descriptions.add(render(d));
                }
            }
            default -> {
                return null;
            }
        }
        return result;
    }

    /** gorilla's client sends params as one object; a list holding one object is taken too. */
    private static JsonNode params(JsonNode params) {
        if (params != null && params.isArray() && params.size() == 1) params = params.get(0);
        if (!Fields.present(params)) return Json.MAPPER.createObjectNode();
        if (!params.isObject()) throw HangarException.invalid("invalid-params", "params must be an object");
        return params;
    }

    /** The plugin's sub-type the call names ("" for the plugin itself); answers carry it back. */
    private static String type(JsonNode params) {
        JsonNode type = params.get("Type");
        if (!Fields.present(type)) return "";
        if (!type.isTextual()) throw HangarException.invalid("invalid-type", "Type must be a string");
        return type.textValue();
    }

    private static String instanceId(JsonNode params) {
        JsonNode id = params.get("Instance");
        if (!Fields.present(id) || !id.isTextual()) throw HangarException.invalid("invalid-instance", "Instance must be an instance ID (a string)");
        return id.textValue();
    }

    // ---- shared ----------------------------------------------------------------------------------

    private static JsonNode parse(byte[] body) {
        try {
            JsonNode n = Json.MAPPER.readTree(body);
            return n == null || n.isMissingNode() ? NullNode.getInstance() : n;
        } catch (IOException e) {
            throw HangarException.invalid("invalid-json", "the body is not JSON: " + firstLine(e));
        }
    }

    private static Map<String, String> tags(JsonNode tags, String what) {
        return Fields.present(tags) ? Fields.strings(tags, what, "invalid-tags") : Map.of();
    }

    private static ObjectNode render(InfrakitFace.Description d) {
        ObjectNode o = Json.MAPPER.createObjectNode().put("ID", d.id());
        if (d.logicalId() == null) o.putNull("LogicalID");
        else o.put("LogicalID", d.logicalId());
        o.set("Tags", Json.MAPPER.valueToTree(d.tags()));
        if (d.properties() != null) o.set("Properties", d.properties());
        return o;
    }

    private static boolean isJson(String contentType) {
        if (contentType == null || contentType.isBlank()) return true; // the 2016 Go client sends none
        String media = contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        return media.equals(JSON);
    }

    private static String firstLine(IOException e) {
        String m = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
        return m == null ? "unreadable" : m.lines().findFirst().orElse(m);
    }

    private static HttpReply rpcError(JsonNode id, int code, String hangarCode, String message) {
        ObjectNode reply = Json.MAPPER.createObjectNode().put("jsonrpc", "2.0");
        ObjectNode error = reply.putObject("error");
        error.put("code", code).put("message", hangarCode + ": " + message).putNull("data");
        reply.set("id", id);
        return json(200, reply);
    }

    /** The 2016 form's error, also what either form gets for a wrong method, type or path. */
    private static HttpReply plainError(int status, String code, String message) {
        return json(status, Json.MAPPER.createObjectNode().put("error", code + ": " + message));
    }

    private static HttpReply json(int status, JsonNode body) {
        try {
            return new HttpReply(status, JSON, Json.MAPPER.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e); // a tree always serialises
        }
    }
}
