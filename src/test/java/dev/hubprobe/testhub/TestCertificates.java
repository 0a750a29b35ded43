package dev.hubprobe.testhub;

import java.io.IOException;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A throwaway CA and leaf certificates of chosen validity, written as PEM files for a real TLS server. */
public final class TestCertificates {
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());
    private final Path dir;
    private final KeyPair caKey;
    private final X509CertificateHolder ca;

    public TestCertificates(Path dir) throws Exception {
        this.dir = dir;
        this.caKey = key();
        Instant now = Instant.now();
        X500Name name = new X500Name("CN=hubprobe test CA");
        this.ca = new JcaX509v3CertificateBuilder(name, serial(), Date.from(now.minus(Duration.ofDays(1))),
                Date.from(now.plus(Duration.ofDays(365))), name, caKey.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey.getPrivate()));
        write(dir.resolve("ca.pem"), ca);
    }

    /** The CA's certificate, for {@code --ca-file}. */
    public Path caFile() {
        return dir.resolve("ca.pem");
    }

    /** A server certificate for {@code host} (a DNS name, plus 127.0.0.1) valid until {@code notAfter}. */
    public Leaf leaf(String name, String host, Instant notBefore, Instant notAfter) throws Exception {
        KeyPair key = key();
        X509CertificateHolder cert = new JcaX509v3CertificateBuilder(ca.getSubject(), serial(), Date.from(notBefore),
                Date.from(notAfter), new X500Name("CN=" + host), key.getPublic())
                .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                        new GeneralName(GeneralName.dNSName, host)}))
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey.getPrivate()));
        Path certFile = dir.resolve(name + ".crt");
        Path keyFile = dir.resolve(name + ".key");
        write(certFile, cert);
        write(keyFile, key.getPrivate());
        return new Leaf(certFile, keyFile, notAfter);
    }

    public record Leaf(Path cert, Path key, Instant notAfter) {
    }

    /**
     * A leaf for {@code host} issued by an intermediate CA of this CA (valid until {@code intermediateNotAfter}),
     * served as leaf + intermediate and, with {@code expiredCrossSign}, a third certificate: this CA
     * cross-signed by an older root, expired a month ago (what many servers kept sending after the
     * 2020-2021 root expiries). Clients that trust this CA validate leaf, intermediate, CA and never need it.
     */
    public Leaf chained(String name, String host, Instant notAfter, Instant intermediateNotAfter, boolean expiredCrossSign) throws Exception {
        Instant now = Instant.now();
        KeyPair intermediateKey = key();
        X500Name intermediateName = new X500Name("CN=hubprobe test intermediate " + name);
        X509CertificateHolder intermediate = new JcaX509v3CertificateBuilder(ca.getSubject(), serial(),
                Date.from(now.minus(Duration.ofDays(400))), Date.from(intermediateNotAfter), intermediateName, intermediateKey.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey.getPrivate()));
        KeyPair key = key();
        X509CertificateHolder leaf = new JcaX509v3CertificateBuilder(intermediateName, serial(), Date.from(now.minus(Duration.ofDays(1))),
                Date.from(notAfter), new X500Name("CN=" + host), key.getPublic())
                .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                        new GeneralName(GeneralName.dNSName, host)}))
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(intermediateKey.getPrivate()));
        Path certFile = dir.resolve(name + ".crt");
        Path keyFile = dir.resolve(name + ".key");
        try (Writer w = Files.newBufferedWriter(certFile); JcaPEMWriter pem = new JcaPEMWriter(w)) {
            pem.writeObject(leaf);
            pem.writeObject(intermediate);
            if (expiredCrossSign) {
                KeyPair oldRootKey = key();
                // this CA's name and key, vouched for by a root that is gone: a second, expired path to it
                pem.writeObject(new JcaX509v3CertificateBuilder(new X500Name("CN=hubprobe old test root"), serial(),
                        Date.from(now.minus(Duration.ofDays(800))), Date.from(now.minus(Duration.ofDays(30))), ca.getSubject(),
                        caKey.getPublic())
                        .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                        .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(oldRootKey.getPrivate())));
            }
        }
        write(keyFile, key.getPrivate());
        return new Leaf(certFile, keyFile, notAfter);
    }

    private static KeyPair key() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static BigInteger serial() {
        return BigInteger.valueOf(SERIAL.incrementAndGet());
    }

    private static void write(Path file, Object o) throws IOException {
        try (Writer w = Files.newBufferedWriter(file); JcaPEMWriter pem = new JcaPEMWriter(w)) {
            pem.writeObject(o instanceof java.security.PrivateKey k ? new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(k, null) : o);
        }
    }
}
