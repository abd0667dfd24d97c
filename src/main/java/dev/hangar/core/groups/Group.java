package dev.hangar.core.groups;

import dev.hangar.core.HangarException;
import dev.hangar.core.vms.VmBlueprint;
import dev.hangar.core.vms.VmRequest;
import dev.hangar.core.vms.VmStatus;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * VMs kept at a size: from a template (by name) or from settings of its own, either a number of
 * interchangeable members or one member per logical ID. Members in an {@code unhealthy} state are
 * replaced. With {@code rolling} off, a change of settings reaches only new members (an update stopped).
 */
public record Group(String name, String template, VmBlueprint settings, Integer size, List<String> logicalIds,
                    Set<VmStatus> unhealthy, boolean rolling, Instant createdAt, Instant updatedAt) {
    public static final int MAX_SIZE = 1000;
    public static final Set<VmStatus> DEFAULT_UNHEALTHY = Set.of(VmStatus.POWERED_OFF, VmStatus.SUSPENDED, VmStatus.ERROR);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    public Group {
        logicalIds = List.copyOf(logicalIds == null ? List.of() : logicalIds);
        unhealthy = Set.copyOf(unhealthy == null ? DEFAULT_UNHEALTHY : unhealthy);
    }

    /** The same group at this size. */
    public Group withSize(Integer size) {
        return new Group(name, template, settings, size, logicalIds, unhealthy, rolling, createdAt, updatedAt);
    }

    /** The same settings, size, members and switches, stamped with when it was made and last changed. */
    public Group stamped(Instant created, Instant updated) {
        return new Group(name, template, settings, size, logicalIds, unhealthy, rolling, created, updated);
    }

    /** This draft's settings under another name (the one a URL named). */
    public Group named(String newName) {
        return new Group(newName, template, settings, size, logicalIds, unhealthy, rolling, createdAt, updatedAt);
    }

    /** How many members the group wants. */
    public int desiredSize() {
        return logicalIds.isEmpty() ? size : logicalIds.size();
    }

    /** The invariants a group must meet before it is stored; the template's existence is the service's to check. */
    public Group validated() {
        checkedName(name);
        if ((template == null) == (settings == null)) {
            throw HangarException.invalid("invalid-group-settings", "a group takes a template (by name) or settings of its own, one of them");
        }
        if (settings != null) settings.validated();
        if (logicalIds.isEmpty()) {
            if (size == null || size < 0 || size > MAX_SIZE) {
                throw HangarException.invalid("invalid-size", "size must be a whole number from 0 to " + MAX_SIZE + ", or give logical_ids");
            }
        } else {
            if (size != null && size != logicalIds.size()) {
                throw HangarException.invalid("invalid-size", "size must equal the number of logical_ids, or be left out");
            }
            if (logicalIds.size() > MAX_SIZE) throw HangarException.invalid("invalid-logical-ids", "at most " + MAX_SIZE + " logical IDs");
            Set<String> seen = new HashSet<>();
            for (String id : logicalIds) {
                // A member carries its logical ID as its name: it must be a host name, unique in the group.
                if (!seen.add(VmRequest.checkedHostname(id))) {
                    throw HangarException.invalid("invalid-logical-ids", "logical ID " + id + " is given twice");
                }
            }
        }
        for (VmStatus s : unhealthy) {
            if (!DEFAULT_UNHEALTHY.contains(s)) {
                throw HangarException.invalid("invalid-unhealthy", "unhealthy states are among powered-off, suspended and error, not " + s.wireName());
            }
        }
        return this;
    }

    public static String checkedName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw HangarException.invalid("invalid-group-name", "group and template names are 1 to 63 of A-Z a-z 0-9 . _ -, starting with a letter or digit, not \"" + name + "\"");
        }
        return name;
    }
}
