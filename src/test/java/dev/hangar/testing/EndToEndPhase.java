package dev.hangar.testing;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Keeps end-to-end classes (*EndToEndTest) out of the unit-test phase even when {@code -Dtest=} names
 * them (Surefire then ignores the phase's excludes): they need the packaged jar and the network
 * namespace that only the end-to-end execution gives, which says so by setting {@code hangar.jar}.
 * So {@code ./test -Dtest=SomeEndToEndTest} runs the class once, in the right phase, on the new jar.
 * Registered for every test through Jupiter's extension auto-detection (junit-platform.properties).
 */
public final class EndToEndPhase implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        boolean endToEnd = context.getTestClass().map(c -> c.getSimpleName().endsWith("EndToEndTest")).orElse(false);
        if (endToEnd && System.getProperty("hangar.jar") == null) {
            return ConditionEvaluationResult.disabled("end-to-end tests run in the end-to-end phase of ./test, on the packaged jar");
        }
        return ConditionEvaluationResult.enabled("");
    }
}
