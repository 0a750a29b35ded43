package dev.hubprobe.jupyter;

import java.lang.reflect.Method;
import java.security.Provider;
import java.security.Security;
import okhttp3.internal.platform.Platform;

/**
 * Has OkHttp choose its platform without building every security provider of the JVM (issue 25).
 *
 * <p>OkHttp chooses once per process, on its first call, by asking whether the JVM's first security
 * provider is Conscrypt, BouncyCastle or OpenJSSE; it asks through {@code Security.getProviders()}, which
 * builds all of the JDK's providers (SunEC's tables of curves the most). A check of an http hub needs
 * none of them, and that was 17 ms of its 260 ms of CPU. Only the first provider's name counts, and the
 * JDK's configuration names it ({@code security.provider.1}) without building anything: when it is the
 * JDK's own SUN, OkHttp chooses the same seeing SUN alone. So the choice is made here, on this thread,
 * with the JDK's per-thread provider list (the one its jar verification uses) set to SUN alone for that
 * moment. The process's own list is never touched: an https hub's first connection builds it, as before.
 *
 * <p>That per-thread list is internal to the JDK, so the launcher exports its package to the class path
 * ({@code --add-exports java.base/sun.security.jca=ALL-UNNAMED}). Without the
 * export (JAVA_OPTS, plain {@code java}), or with another first provider configured, OkHttp chooses as it
 * always did.
 */
public final class OkHttpPlatform {
    private OkHttpPlatform() {
    }

    /** Before OkHttp's first call: cheap when it can be, the same choice either way. */
    public static void choose() {
        String first;
        try {
            first = Security.getProperty("security.provider.1");
        } catch (SecurityException refused) {
            return; // (a security manager's policy without that permission: OkHttp chooses as it always did)
        }
        if (first == null || !(first.equals("SUN") || first.equals("sun.security.provider.Sun"))) {
            return;
        }
        Method end;
        Object previous;
        try {
            Class<?> providers = Class.forName("sun.security.jca.Providers");
            Class<?> list = Class.forName("sun.security.jca.ProviderList");
            Provider sun = (Provider) providers.getMethod("getSunProvider").invoke(null);
            Object sunAlone = list.getMethod("newList", Provider[].class).invoke(null, (Object) new Provider[] {sun});
            end = providers.getMethod("endThreadProviderList", list);
            previous = providers.getMethod("beginThreadProviderList", list).invoke(null, sunAlone);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError notExported) {
            // (IllegalAccessException without the launcher's export; another JDK's internals)
            return;
        }
        IllegalStateException notRestored = null;
        try {
            Platform.get();
        } finally {
            try {
                end.invoke(null, previous);
            } catch (ReflectiveOperationException | RuntimeException e) {
                // begin worked through the same access, so end does; were it not so, this thread (a
                // check's main thread) would go on seeing SUN alone, and its TLS would fail: said here
                notRestored = new IllegalStateException("could not restore the thread's security providers", e);
            }
        }
        if (notRestored != null) {
            throw notRestored;
        }
    }
}
