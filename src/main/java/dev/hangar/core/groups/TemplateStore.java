package dev.hangar.core.groups;

import java.util.List;
import java.util.Optional;

/** Where templates live. */
public interface TemplateStore {
    /** Inserts a new template; HangarException template-exists when the name is taken. */
    void insert(Template template);

    void update(Template template);

    Optional<Template> find(String name);

    /** Every template, by name. */
    List<Template> all();

    void delete(String name);
}
