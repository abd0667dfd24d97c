package dev.hangar.core.ports;

/** What the hypervisor says of a machine. UNKNOWN: the process lives but did not answer in time. */
public enum MachineState { RUNNING, PAUSED, STOPPED, UNKNOWN }
