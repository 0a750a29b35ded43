package dev.hubprobe.web;

import dev.hubprobe.config.Secret;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A hub user's token as the history database keeps it for the re-checks: AES-GCM under a key derived
 * from the OAuth client secret, which is in the service's config and never in the database. A copy of
 * the table is then no token to the hub; a changed client secret makes every kept token unreadable
 * (those sessions end, as they should: the hub no longer knows the old client).
 */
final class HubTokens {
    private static final SecureRandom RANDOM = new SecureRandom();

    private HubTokens() {
    }

    static String seal(String token, Secret clientSecret) {
        try {
            byte[] iv = new byte[12];
            RANDOM.nextBytes(iv);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key(clientSecret), new GCMParameterSpec(128, iv));
            byte[] sealed = c.doFinal(token.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(ByteBuffer.allocate(iv.length + sealed.length).put(iv).put(sealed).array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot seal the hub token: " + e.getClass().getSimpleName());
        }
    }

    /** The token, or null when it was not sealed with this secret (or is no sealed token at all). */
    static String open(String sealed, Secret clientSecret) {
        if (sealed == null) {
            return null;
        }
        try {
            byte[] all = Base64.getDecoder().decode(sealed);
            if (all.length < 12 + 16) {
                return null;
            }
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key(clientSecret), new GCMParameterSpec(128, all, 0, 12));
            return new String(c.doFinal(all, 12, all.length - 12), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return null;
        }
    }

    private static SecretKeySpec key(Secret clientSecret) throws GeneralSecurityException {
        byte[] k = MessageDigest.getInstance("SHA-256").digest(("hubprobe-hub-token\0" + clientSecret.reveal()).getBytes(StandardCharsets.UTF_8));
        return new SecretKeySpec(k, "AES");
    }
}
