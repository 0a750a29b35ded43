package dev.hubprobe.tls;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
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
 * the trust store, and HTTPS host-name checking.
 */
public final class TlsInspector {
    /** What was served, and what is wrong with it, if anything. */
    public record Result(Instant notAfter, String subject, String issuer, Problem problem, String detail) {
        public double daysLeft(Instant now) {
            return Duration.between(now, notAfter).toMillis() / 86_400_000.0;
        }
    }

    public enum Problem { NONE, EXPIRED, UNTRUSTED, HOST_MISMATCH }

    private final X509TrustManager trust;
    private final Duration timeout;

    public TlsInspector(X509TrustManager trust, Duration timeout) {
        this.trust = trust;
        this.timeout = timeout;
    }

    /** @throws IOException when no TLS handshake could be made at all (refused, timeout, not TLS) */
    public Result inspect(String host, int port, Instant now) throws IOException {
        X509Certificate[] chain = chain(host, port);
        X509Certificate earliest = Arrays.stream(chain).min(Comparator.comparing(X509Certificate::getNotAfter)).orElseThrow();
        Instant notAfter = earliest.getNotAfter().toInstant();
        String subject = chain[0].getSubjectX500Principal().getName();
        String issuer = chain[0].getIssuerX500Principal().getName();
        if (!notAfter.isAfter(now)) {
            String which = earliest == chain[0] ? "the certificate" : "a certificate of its chain (" + earliest.getSubjectX500Principal().getName() + ")";
            return new Result(notAfter, subject, issuer, Problem.EXPIRED, which + " expired at " + notAfter);
        }
        try (SSLSocket checked = handshake(host, port, trust, true)) {
            return new Result(notAfter, subject, issuer, Problem.NONE, null);
        } catch (SSLHandshakeException e) {
            String why = causes(e);
            boolean name = why.contains("No subject alternative") || why.contains("No name matching");
            return new Result(notAfter, subject, issuer, name ? Problem.HOST_MISMATCH : Problem.UNTRUSTED,
                    (name ? "the certificate is not for " + host : "the chain is not trusted") + " (" + why + ")");
        }
    }

    private X509Certificate[] chain(String host, int port) throws IOException {
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
        try (SSLSocket s = handshake(host, port, accept, false)) {
            Certificate[] peer = s.getSession().getPeerCertificates();
            return Arrays.stream(peer).map(c -> (X509Certificate) c).toArray(X509Certificate[]::new);
        }
    }

    private SSLSocket handshake(String host, int port, TrustManager tm, boolean verifyHost) throws IOException {
        SSLContext ctx = TrustStores.context((X509TrustManager) tm);
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket();
        try {
            s.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            s.setSoTimeout((int) timeout.toMillis());
            SSLParameters p = s.getSSLParameters();
            if (!host.matches("[0-9.]+|.*:.*")) {
                p.setServerNames(List.of(new SNIHostName(host)));
            }
            if (verifyHost) {
                p.setEndpointIdentificationAlgorithm("HTTPS");
            }
            s.setSSLParameters(p);
            s.startHandshake();
            return s;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
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
