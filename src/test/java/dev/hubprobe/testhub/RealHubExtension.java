package dev.hubprobe.testhub;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Keeps the hub's log for a failed test: what the hub wrote while that test ran is saved to
 * target/hub-logs/CLASS.METHOD.log and its path printed.
 */
public final class RealHubExtension implements BeforeEachCallback, TestWatcher {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(RealHubExtension.class);

    @Override
    public void beforeEach(ExtensionContext context) {
        context.getStore(NS).put("offset", RealHub.shared().logSize());
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        Long offset = context.getStore(NS).get("offset", Long.class);
        try {
            Path dir = RealHub.basedir().resolve("target/hub-logs");
            Files.createDirectories(dir);
            Path file = dir.resolve(context.getRequiredTestClass().getSimpleName() + "."
                    + context.getRequiredTestMethod().getName() + ".log");
            Files.writeString(file, RealHub.shared().logSince(offset == null ? 0 : offset));
            System.err.println("test hub log for the failed test: " + file);
        } catch (Exception e) {
            System.err.println("could not save the test hub log: " + e);
        }
    }
}
