package dev.hubprobe.tls;

import java.io.IOException;
import dev.hubprobe.config.Durations;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertPathBuilderResult;
import java.security.cert.CertStore;
import java.security.cert.Certificate;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Looks at the certificate chain an endpoint serves: when its first certificate expires, whose it is,
 * and whether this process would trust it for that host name. It only shakes hands; it never sends
 * anything over the connection.
 *
 * <p>The chain is read with a handshake that accepts any certificate (so an expired or untrusted
 * chain can still be described), then judged by a second handshake as a client really connects:
 * the trust store, and HTTPS host-name checking. Expiry is judged on the path that validation used
 * (the leaf and the certificates that lead from it to a trusted CA), not on everything sent: a server
 * that still sends an expired cross-sign next to a valid path is served fine to every client that
 * validates, so that certificate is only a note.
 */
public final class TlsInspector {
    /**
     * What was served, and what is wrong with it, if anything.
     *
     * @param notAfter the earliest expiry on the validated path (on the chain as sent when it did not validate)
     * @param notes    what is odd but harmless, e.g. an expired certificate sent but not on the validated path
     */
    public record Result(Instant notAfter, String subject, String issuer, Problem problem, String detail, List<String> notes) {
        public Result {
            notes = notes == null ? List.of() : List.copyOf(notes);
        }

        public double daysLeft(Instant now) {
            return Duration.between(now, notAfter).toMillis() / 86_400_000.0;
        }
    }

    public enum Problem { NONE, EXPIRED, UNTRUSTED, HOST_MISMATCH }

    private final X509TrustManager trust;
    private final Duration timeout;

    /** @param timeout the whole inspection's budget (both handshakes) */
    public TlsInspector(X509TrustManager trust, Duration timeout) {
        this.trust = trust;
        this.timeout = timeout;
    }

    /** @throws IOException when no TLS handshake could be made at all (refused, timeout, not TLS) */
    public Result inspect(String host, int port, Instant now) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        X509Certificate[] chain = chain(host, port, deadline);
        X509Certificate leaf = chain[0];
        String subject = leaf.getSubjectX500Principal().getName();
        String issuer = leaf.getIssuerX500Principal().getName();
        if (expired(leaf, now)) {
            Instant at = leaf.getNotAfter().toInstant();
            return new Result(at, subject, issuer, Problem.EXPIRED, "the certificate expired at " + at, List.of());
        }
        try (SSLSocket checked = handshake(host, port, trust, true, deadline)) {
            // validation passed, so every certificate on its path is valid now: an expired one sent was not used
            List<X509Certificate> path = validatedPath(chain, now);
            X509Certificate earliest = path.stream().min(Comparator.comparing(X509Certificate::getNotAfter)).orElse(leaf);
            List<String> notes = new ArrayList<>();
            for (X509Certificate c : chain) {
                if (expired(c, now) && !path.contains(c)) {
                    notes.add("the server also sends a certificate that expired at " + c.getNotAfter().toInstant() + " ("
                            + c.getSubjectX500Principal().getName() + ", issued by " + c.getIssuerX500Principal().getName()
                            + "); it is not on the validated path, so clients that validate ignore it; it can be dropped from the served chain");
                }
            }
            return new Result(earliest.getNotAfter().toInstant(), subject, issuer, Problem.NONE, null, notes);
        } catch (SSLHandshakeException e) {
            String why = causes(e);
            boolean name = why.contains("No subject alternative") || why.contains("No name matching");
            X509Certificate earliest = Arrays.stream(chain).min(Comparator.comparing(X509Certificate::getNotAfter)).orElseThrow();
            if (!name && expired(earliest, now)) {
                // the chain does not validate and holds an expired certificate: that is why, as the JDK says
                Instant at = earliest.getNotAfter().toInstant();
                return new Result(at, subject, issuer, Problem.EXPIRED, "a certificate of its chain ("
                        + earliest.getSubjectX500Principal().getName() + ") expired at " + at + " and no valid path avoids it (" + why + ")",
                        List.of());
            }
            return new Result(earliest.getNotAfter().toInstant(), subject, issuer, name ? Problem.HOST_MISMATCH : Problem.UNTRUSTED,
                    (name ? "the certificate is not for " + host : "the chain is not trusted") + " (" + why + ")", List.of());
        }
    }

    private static boolean expired(X509Certificate c, Instant now) {
        return !c.getNotAfter().toInstant().isAfter(now);
    }

    /**
     * The certificates the trust store's validation relies on, as the JDK's PKIX path builder finds them
     * from what was sent: the leaf first, the trust anchor itself not included (its expiry is not checked
     * by validation either). Only the leaf when no path can be built (a trust manager of another kind).
     */
    private List<X509Certificate> validatedPath(X509Certificate[] chain, Instant now) {
        try {
            Set<TrustAnchor> anchors = new HashSet<>();
            for (X509Certificate ca : trust.getAcceptedIssuers()) {
                anchors.add(new TrustAnchor(ca, null));
            }
            X509CertSelector target = new X509CertSelector();
            target.setCertificate(chain[0]);
            PKIXBuilderParameters params = new PKIXBuilderParameters(anchors, target);
            params.setRevocationEnabled(false); // no network: only the path's shape and dates
            params.setDate(Date.from(now));
            params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(Arrays.asList(chain))));
            CertPathBuilderResult built = CertPathBuilder.getInstance("PKIX").build(params);
            List<X509Certificate> path = new ArrayList<>();
            built.getCertPath().getCertificates().forEach(c -> path.add((X509Certificate) c));
            return path;
        } catch (GeneralSecurityException | RuntimeException e) {
            return List.of(chain[0]);
        }
    }

    private X509Certificate[] chain(String host, int port, long deadline) throws IOException {
        X509TrustManager accept = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                // read only: the second handshake judges it
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        try (SSLSocket s = handshake(host, port, accept, false, deadline)) {
            Certificate[] peer = s.getSession().getPeerCertificates();
            return Arrays.stream(peer).map(c -> (X509Certificate) c).toArray(X509Certificate[]::new);
        }
    }

    /**
     * Closes a handshake's socket at the inspection's deadline. A socket timeout bounds one read only: a
     * server that trickles a byte every few seconds kept a handshake (and its pool thread) going for hours.
     */
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "hubprobe-tls-watchdog");
        t.setDaemon(true);
        return t;
    });

    /** One handshake within what is left of the inspection's budget, the whole of it: the watchdog closes the socket then. */
    private SSLSocket handshake(String host, int port, TrustManager tm, boolean verifyHost, long deadline) throws IOException {
        SSLContext ctx = TrustStores.context((X509TrustManager) tm);
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket();
        AtomicBoolean cut = new AtomicBoolean();
        ScheduledFuture<?> watchdog = WATCHDOG.schedule(() -> {
            cut.set(true);
            try {
                s.close();
            } catch (IOException ignored) {
                // closing is all it can do
            }
        }, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        try {
            handshake(s, host, port, verifyHost, deadline);
            if (!watchdog.cancel(false) || cut.get()) {
                throw new SocketTimeoutException("closed at the deadline"); // finished just as the watchdog closed it
            }
            return s;
        } catch (IOException | RuntimeException e) {
            watchdog.cancel(false);
            s.close();
            if (cut.get()) {
                throw new SocketTimeoutException("the TLS handshake with " + host + ":" + port + " did not finish within "
                        + Durations.format(timeout));
            }
            throw e;
        }
    }

    private static void handshake(SSLSocket s, String host, int port, boolean verifyHost, long deadline) throws IOException {
        { // a read timeout as well: it ends a silent server's handshake without waiting for the watchdog
            int left = (int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            s.connect(new InetSocketAddress(host, port), left);
            left = (int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            s.setSoTimeout(left);
            SSLParameters p = s.getSSLParameters();
            if (!host.matches("[0-9.]+|.*:.*")) {
                p.setServerNames(List.of(new SNIHostName(host)));
            }
            if (verifyHost) {
                p.setEndpointIdentificationAlgorithm("HTTPS");
            }
            s.setSSLParameters(p);
            s.startHandshake();
        }
    }

    private static String causes(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null && b.length() < 300; t = t.getCause()) {
            if (t.getMessage() != null && !b.toString().contains(t.getMessage())) {
                b.append(b.length() == 0 ? "" : ": ").append(t.getMessage());
            }
        }
        return b.toString();
    }
}
