package dev.hubprobe.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Which certificates hubprobe trusts: the JVM's trust store, plus the CAs of a file an operator names
 * (a hub behind an internal CA). Verification is never turned off.
 */
public final class TrustStores {
    private static final Map<Path, X509TrustManager> CACHE = new ConcurrentHashMap<>();

    private TrustStores() {
    }

    /** The JVM's own trust store. */
    public static X509TrustManager system() {
        return build(null);
    }

    /** The JVM's trust store and the PEM certificates in {@code caFile}; null means the JVM's alone. */
    public static X509TrustManager with(Path caFile) {
        if (caFile == null) {
            return system();
        }
        return CACHE.computeIfAbsent(caFile.toAbsolutePath().normalize(), TrustStores::build);
    }

    /** Reads the CA file now, so a bad one is a configuration error, not a failed run. */
    public static void check(Path caFile) throws IOException {
        try {
            if (read(caFile).length == 0) {
                throw new IOException("no PEM certificate in it");
            }
        } catch (GeneralSecurityException e) {
            throw new IOException("not a PEM certificate file: " + e.getMessage(), e);
        }
    }

    public static SSLContext context(X509TrustManager trust) {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {trust}, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("TLS is not available: " + e.getMessage(), e);
        }
    }

    private static X509TrustManager build(Path caFile) {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (caFile == null) {
                tmf.init((KeyStore) null);
                return first(tmf);
            }
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            TrustManagerFactory system = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            system.init((KeyStore) null);
            int i = 0;
            for (X509Certificate c : first(system).getAcceptedIssuers()) {
                store.setCertificateEntry("system-" + i++, c);
            }
            for (Certificate c : read(caFile)) {
                store.setCertificateEntry("extra-" + i++, c);
            }
            tmf.init(store);
            return first(tmf);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot read the CA file " + caFile + ": " + e.getMessage(), e);
        }
    }

    private static Certificate[] read(Path file) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(file)) {
            return CertificateFactory.getInstance("X.509").generateCertificates(in).toArray(Certificate[]::new);
        }
    }

    private static X509TrustManager first(TrustManagerFactory tmf) {
        for (TrustManager tm : tmf.getTrustManagers()) {
            if (tm instanceof X509TrustManager x) {
                return x;
            }
        }
        throw new IllegalStateException("no X.509 trust manager");
    }
}
