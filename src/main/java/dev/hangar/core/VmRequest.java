package dev.hangar.core;

/**
 * What a client asks for, already parsed by its face. Null means "not given": the image's value, then
 * the service default applies. The request is checked here, up front, before anything is fetched.
 */
public record VmRequest(
        String name,
        ImageRef image,
        Integer cpus,
        Long memoryMib,
        NetworkType networkType,
        boolean gui,
        int toolsInitTimeoutSeconds,
        String callbackUrl,
        Vm.Dialect dialect) {

    public static final int MAX_CPUS = 256;
    public static final int MAX_TOOLS_INIT_TIMEOUT = 86_400;

    public VmRequest validated() {
        if (image == null) throw HangarException.invalid("missing-image", "image is required");
        image.validated();
        if (cpus != null && (cpus < 1 || cpus > MAX_CPUS)) {
            throw HangarException.invalid("invalid-cpus", "cpus must be between 1 and " + MAX_CPUS + ", not " + cpus);
        }
        if (memoryMib != null) MemorySize.checkedRange(memoryMib);
        if (toolsInitTimeoutSeconds < 0 || toolsInitTimeoutSeconds > MAX_TOOLS_INIT_TIMEOUT) {
            throw HangarException.invalid("invalid-tools-init-timeout",
                    "tools_init_timeout must be whole seconds from 0 to " + MAX_TOOLS_INIT_TIMEOUT);
        }
        if (callbackUrl != null && !callbackUrl.isBlank() && !callbackUrl.matches("(?i)https?://\\S+")) {
            throw HangarException.invalid("invalid-callback-url", "callback_url must be an http or https URL");
        }
        return this;
    }
}
