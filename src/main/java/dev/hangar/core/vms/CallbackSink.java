package dev.hangar.core.vms;


/** Where the service reports a finished creation; the face that owns the callback's format renders it. */
public interface CallbackSink {
    void created(Vm vm);

    void failed(Vm vm);
}
