package dev.hangar.core.vms;

/** What the hypervisor says of a machine. UNKNOWN: the process lives but did not answer in time. */
public enum MachineState { RUNNING, PAUSED, STOPPED, UNKNOWN }
