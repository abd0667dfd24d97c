package dev.hangar.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.api.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The config file of {@code serve}: a JSON object whose keys are serve's option names without their
 * leading dashes ({@code "listen"}, {@code "hosts_listen"} or {@code "hosts-listen"}, {@code "no_oauth"}),
 * as Image Factory's configuration did, plus {@code "clients"}: consumer key → secret for OAuth, which
 * has no flag (a secret on a command line is visible to every user of the host in ps).
 * The values become command-line arguments, so picocli checks and converts them as it does flags.
 */
final class ConfigFile {
    /** Options that make no sense in a file: the file itself, and the help. */
    private static final Set<String> NOT_IN_FILE = Set.of("config", "help", "version");

    /** What a file holds: its options as arguments ({@code --listen 0.0.0.0:1}), and the OAuth clients. */
    /**
     * What a file holds: its options as arguments ({@code --listen 0.0.0.0:1}), the OAuth clients (consumer
     * key → secret), and those clients that must hash every non-form body they sign.
     */
    record Contents(List<String> arguments, Map<String, String> clients, java.util.Set<String> bodyHashRequired) {}

    private ConfigFile() {}

    /** Reads a file; anything wrong in it (JSON, an unknown key, a value of the wrong kind) is an error naming it. */
    static Contents read(Path file, CommandSpec serve) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(Files.readAllBytes(file));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + " is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException(file + " must hold a JSON object of options");
        List<String> arguments = new ArrayList<>();
        Map<String, String> clients = Map.of();
        java.util.Set<String> bodyHashRequired = new java.util.HashSet<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            String key = field.getKey();
            JsonNode value = field.getValue();
            if (key.equals("clients")) {
                clients = clients(file, value, bodyHashRequired);
                continue;
            }
            OptionSpec option = option(serve, key);
            if (option == null) {
                throw new IllegalArgumentException(file + ": unknown key \"" + key + "\" (keys are serve's options without their dashes, and clients)");
            }
            if (option.type() == boolean.class || option.type() == Boolean.class) {
                if (!value.isBoolean()) throw new IllegalArgumentException(file + ": \"" + key + "\" must be true or false");
                if (value.booleanValue()) arguments.add(option.longestName());
            } else if (value.isTextual() || value.isIntegralNumber()) {
                arguments.add(option.longestName());
                arguments.add(value.asText());
            } else if (value.isArray() && option.isMultiValue()) {
                // a repeatable option: the option once for each element
                for (JsonNode element : value) {
                    if (!element.isTextual()) throw new IllegalArgumentException(file + ": \"" + key + "\" must be an array of strings");
                    arguments.add(option.longestName());
                    arguments.add(element.textValue());
                }
            } else {
                throw new IllegalArgumentException(file + ": \"" + key + "\" must be a string or a whole number"
                        + (option.isMultiValue() ? ", or an array of strings" : ""));
            }
        }
        return new Contents(arguments, clients, bodyHashRequired);
    }

    /** The option a key names: one of its names without the leading dashes, '-' and '_' alike. */
    private static OptionSpec option(CommandSpec serve, String key) {
        String wanted = normalized(key);
        if (NOT_IN_FILE.contains(wanted)) return null;
        for (OptionSpec option : serve.options()) {
            for (String name : option.names()) {
                if (normalized(name).equals(wanted)) return option;
            }
        }
        return null;
    }

    private static String normalized(String name) {
        return name.replaceFirst("^-+", "").replace('_', '-').toLowerCase(Locale.ROOT);
    }

    /**
     * {@code "clients"}: consumer key → its secret, as the seeds' tools were configured ({@code "key": "secret"}),
     * or → {@code {"secret": ..., "require_body_hash": true|false}}, the form for clients added from now on,
     * where a signed JSON body must carry its {@code oauth_body_hash} unless it says false.
     */
    private static Map<String, String> clients(Path file, JsonNode value, java.util.Set<String> bodyHashRequired) {
        if (!value.isObject()) throw new IllegalArgumentException(file + ": \"clients\" must be an object of consumer key → secret");
        Map<String, String> clients = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> client : value.properties()) {
            JsonNode v = client.getValue();
            JsonNode secret = v.isObject() ? v.get("secret") : v;
            if (client.getKey().isEmpty() || secret == null || !secret.isTextual() || secret.textValue().isEmpty()) {
                throw new IllegalArgumentException(file + ": each of \"clients\" must be a non-empty key with a non-empty secret"
                        + " (a string, or {\"secret\": ..., \"require_body_hash\": true|false})");
            }
            if (v.isObject()) {
                JsonNode require = v.path("require_body_hash");
                if (!require.isMissingNode() && !require.isBoolean()) {
                    throw new IllegalArgumentException(file + ": \"require_body_hash\" of client " + client.getKey() + " must be true or false");
                }
                if (require.asBoolean(true)) bodyHashRequired.add(client.getKey());
            }
            clients.put(client.getKey(), secret.textValue());
        }
        return clients;
    }
}
