package dev.hangar.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.SQLException;

/** Lists, maps and small objects kept as JSON text in a column: written whole, read whole. */
final class JsonColumns {
    static final ObjectMapper JSON = new ObjectMapper();

    private JsonColumns() {}

    static String write(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The column's value; null for a null column. An unreadable column is an SQLException, like any bad row. */
    static <T> T read(String text, TypeReference<T> type) throws SQLException {
        if (text == null) return null;
        try {
            return JSON.readValue(text, type);
        } catch (JsonProcessingException e) {
            throw new SQLException("unreadable JSON column: " + e.getOriginalMessage(), e);
        }
    }
}
