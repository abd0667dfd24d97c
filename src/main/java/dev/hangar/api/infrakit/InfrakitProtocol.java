package dev.hangar.api.infrakit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.Fields;
import dev.hangar.api.Json;
import dev.hangar.api.ApiServer;
import dev.hangar.api.Exchange;
import dev.hangar.api.HttpRefusal;
import dev.hangar.core.HangarException;
import dev.hangar.core.RedactedUrl;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
final class InfrakitProtocol {
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

    private final InfrakitFace face;

    InfrakitProtocol(InfrakitFace face) {
        this.face = face;
    }

    /**
     * The routes of both forms, and the 2016 form's error shape for everything else: a wrong method,
     * path or media type, a refusal of the HTTP layer, a failure of a 2016 call. Either era's client reads
     * it. A failure of a 2016 call is a 400 whatever its kind (that client reads error bodies only on 400).
     */
    void register(ApiServer server) {
        server.errorForm(InfrakitProtocol::plainError)
                .route("POST", "/", json(ex -> ex.json(200, jsonRpc(ex.bodyBytes("invalid-json")))))
                .route("POST", "/Instance.Validate", json(ex -> {
                    face.validate(parse(ex));
                    ex.empty(200);
                }))
                .route("POST", "/Instance.Provision", json(ex ->
                        ex.json(200, Json.MAPPER.createObjectNode().put("ID", face.provision(parse(ex))))))
                .route("POST", "/Instance.Destroy/:id", json(ex -> {
                    face.destroy(ex.pathParam("id"));
                    ex.empty(200);
                }))
                .route("POST", "/Instance.DescribeInstances", json(ex -> {
                    ArrayNode all = Json.MAPPER.createArrayNode();
                    for (InfrakitFace.Description d : face.describe(tags(parse(ex), "the body"), false)) all.add(render(d));
                    ex.json(200, all);
                }))
                .error(HangarException.class, (ex, e) -> ex.fail(400, e.code(), RedactedUrl.inText(e.getMessage())))
                .error(RuntimeException.class, (ex, e) -> {
                    log.error("InfraKit {} {} failed", ex.method(), ex.path(), e);
                    ex.fail(400, "internal-error", "internal error; the service log has the details");
                });
    }

    /** A call's body is JSON: application/json, or no Content-Type at all (the 2016 Go client sends none). */
    private static ApiServer.Endpoint json(ApiServer.Endpoint call) {
        return ex -> {
            String type = ex.header("Content-Type");
            if (!isJson(type)) throw HttpRefusal.unsupportedMedia("bodies are JSON (application/json, or no Content-Type), not " + type);
            call.handle(ex);
        };
    }

    // ---- JSON-RPC 2.0 ----------------------------------------------------------------------------

    private JsonNode jsonRpc(byte[] body) {
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
            return reply;
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

    private static JsonNode parse(Exchange ex) throws IOException {
        try {
            JsonNode n = Json.MAPPER.readTree(ex.bodyBytes("invalid-json"));
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

    /** A JSON-RPC error object: answered with HTTP 200, as gorilla's json2 codec does. */
    private static JsonNode rpcError(JsonNode id, int code, String hangarCode, String message) {
        ObjectNode reply = Json.MAPPER.createObjectNode().put("jsonrpc", "2.0");
        ObjectNode error = reply.putObject("error");
        error.put("code", code).put("message", hangarCode + ": " + message).putNull("data");
        reply.set("id", id);
        return reply;
    }

    /** The 2016 form's error, also what either form gets for a wrong method, type or path. */
    static ObjectNode plainError(String code, String message) {
        return Json.MAPPER.createObjectNode().put("error", code + ": " + message);
    }

}
