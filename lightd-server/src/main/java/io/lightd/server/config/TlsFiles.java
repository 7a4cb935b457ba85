package io.lightd.server.config;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the PEM certificate chain and PEM private key of {@code server.ssl} with the JDK alone, so
 * that every problem (missing or unreadable file, no certificate, a key in a form the JDK cannot
 * read, a key that does not belong to the certificate) is a start-up error naming its key rather
 * than a failed handshake later. Stateless.
 */
public final class TlsFiles {

    /**
     * The server's private key and its certificate chain, leaf first. Its {@code toString} names only
     * the leaf's subject, never the key.
     *
     * @param key   the private key of the leaf certificate
     * @param chain the certificates as the PEM file lists them, leaf first; never empty
     */
    public record Material(PrivateKey key, List<X509Certificate> chain) {

        /**
         * Copies the chain into an immutable list.
         *
         * @param key   the private key
         * @param chain the certificates, leaf first
         */
        public Material {
            chain = List.copyOf(chain);
        }

        @Override
        public String toString() {
            return "Material[" + chain.get(0).getSubjectX500Principal() + "]";
        }
    }

    private static final String CERT_KEY = "server.ssl.cert";
    private static final String KEY_KEY = "server.ssl.key";
    private static final Pattern PKCS8 = Pattern.compile(
            "-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");
    private static final String[] KEY_ALGORITHMS = {"RSA", "EC", "Ed25519", "Ed448"};

    private TlsFiles() {
    }

    /**
     * Reads and checks both files. Blocking (reads two files): for start-up.
     *
     * @param tls the {@code server.ssl} section: the certificate chain file and the private key file
     *            (unencrypted PKCS#8, {@code BEGIN PRIVATE KEY}; RSA, EC, Ed25519 or Ed448)
     * @return the key and chain
     * @throws ConfigException naming {@code server.ssl.cert} or {@code server.ssl.key} when a file is
     *                         missing or unreadable, holds no usable certificate or key, or the key
     *                         does not belong to the leaf certificate
     */
    public static Material load(LightdConfig.Tls tls) throws ConfigException {
        List<X509Certificate> chain = certificates(tls.certificate());
        PrivateKey key = privateKey(tls.privateKey());
        if (!belongTogether(key, chain.get(0))) {
            throw new ConfigException("invalid " + KEY_KEY + ": " + tls.privateKey()
                    + " is not the private key of the certificate in " + tls.certificate());
        }
        return new Material(key, chain);
    }

    private static List<X509Certificate> certificates(Path file) throws ConfigException {
        byte[] pem = read(CERT_KEY, file);
        List<X509Certificate> chain = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            factory.generateCertificates(new ByteArrayInputStream(pem))
                    .forEach(c -> chain.add((X509Certificate) c));
        } catch (CertificateException e) {
            throw new ConfigException("invalid " + CERT_KEY + ": " + file + " holds no readable PEM certificate ("
                    + e.getMessage() + ")", e);
        }
        if (chain.isEmpty()) {
            throw new ConfigException("invalid " + CERT_KEY + ": " + file + " holds no PEM certificate");
        }
        return chain;
    }

    private static PrivateKey privateKey(Path file) throws ConfigException {
        String pem = new String(read(KEY_KEY, file), StandardCharsets.US_ASCII);
        Matcher m = PKCS8.matcher(pem);
        if (!m.find()) {
            String problem = pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") ? "the key is encrypted"
                    : pem.matches("(?s).*-----BEGIN [A-Z]+ PRIVATE KEY-----.*") ? "the key is not in PKCS#8 form"
                    : "it holds no PEM private key";
            throw new ConfigException("invalid " + KEY_KEY + ": " + file + ": " + problem
                    + "; an unencrypted PKCS#8 key (BEGIN PRIVATE KEY) is needed, e.g. from "
                    + "openssl pkcs8 -topk8 -nocrypt");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(m.group(1));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("invalid " + KEY_KEY + ": " + file + ": the PEM key is not valid base64", e);
        }
        for (String algorithm : KEY_ALGORITHMS) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException ignored) {
                // not this algorithm; try the next
            }
        }
        throw new ConfigException("invalid " + KEY_KEY + ": " + file + ": not an RSA, EC or EdDSA private key");
    }

    /** Signs a probe with the key and verifies it with the certificate's public key. */
    private static boolean belongTogether(PrivateKey key, X509Certificate certificate) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> key.getAlgorithm();
        };
        byte[] probe = "lightd".getBytes(StandardCharsets.US_ASCII);
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static byte[] read(String key, Path file) throws ConfigException {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException("invalid " + key + ": " + file + " does not exist", e);
        } catch (AccessDeniedException e) {
            throw new ConfigException("invalid " + key + ": " + file + " is not readable (permission denied)", e);
        } catch (IOException e) {
            throw new ConfigException("invalid " + key + ": cannot read " + file + " (" + e.getMessage() + ")", e);
        }
    }
}
