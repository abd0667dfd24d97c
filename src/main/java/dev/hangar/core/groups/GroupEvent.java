package dev.hangar.core.groups;

import java.time.Instant;

/** Something that happened to a group: a member made or removed, and why; a change of its settings. */
public record GroupEvent(String group, Instant at, String message) {}
