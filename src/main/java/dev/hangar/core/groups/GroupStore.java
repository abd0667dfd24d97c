package dev.hangar.core.groups;

import java.util.List;
import java.util.Optional;

/** Where groups and their recent events live. */
public interface GroupStore {
    /** Inserts a new group; HangarException group-exists when the name is taken. */
    void insert(Group group);

    void update(Group group);

    Optional<Group> find(String name);

    /** Every group, by name. */
    List<Group> all();

    /** The names of the groups made from this template. */
    List<String> usingTemplate(String template);

    /** Removes the group and its events. */
    void delete(String name);

    /** Records an event; only the latest hundred of a group are kept. */
    void addEvent(GroupEvent event);

    /** The group's latest events, newest first. */
    List<GroupEvent> events(String group, int limit);
}
