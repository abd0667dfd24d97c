package dev.hangar.core.groups;

import dev.hangar.core.vms.VmBlueprint;
import java.time.Instant;

/** Named VM settings that groups (and people) make VMs from. */
public record Template(String name, VmBlueprint blueprint, Instant createdAt, Instant updatedAt) {}
