package dev.hubprobe.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * An address block, {@code 10.0.0.0/8} or {@code fd00::/8} (a bare address is the block of that one
 * address). Only IP literals are taken, never a host name: parsing must not ask DNS, neither for the
 * configuration nor for a header a client sent.
 */
public record Cidr(byte[] network, int prefix) {
    private static final Pattern V4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern V6 = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

    /**
     * @throws IllegalArgumentException saying what is wrong with {@code text} (it is quoted: a config value, not a secret)
     */
    public static Cidr parse(String text) {
        String s = text == null ? "" : text.trim();
        int slash = s.indexOf('/');
        InetAddress a = literal(slash < 0 ? s : s.substring(0, slash));
        if (a == null) {
            throw new IllegalArgumentException("'" + text + "' is not an address block (ADDRESS/PREFIX, e.g. 10.0.0.0/8 or fd00::/8)");
        }
        int max = a.getAddress().length * 8;
        int prefix = max;
        if (slash >= 0) {
            String p = s.substring(slash + 1);
            if (!p.matches("\\d{1,3}") || Integer.parseInt(p) > max) {
                throw new IllegalArgumentException("'" + text + "': the prefix length must be 0 to " + max);
            }
            prefix = Integer.parseInt(p);
        }
        byte[] net = a.getAddress();
        for (int bit = prefix; bit < max; bit++) {
            net[bit / 8] &= (byte) ~(0x80 >> (bit % 8));
        }
        return new Cidr(net, prefix);
    }

    /** An IPv4 or IPv6 literal, or null for anything else (a host name included: no lookup is made). */
    public static InetAddress literal(String s) {
        if (s == null) {
            return null;
        }
        String t = s.trim();
        try {
            if (V4.matcher(t).matches()) {
                return InetAddress.getByName(t);
            }
            if (t.contains(":") && V6.matcher(t).matches()) {
                return InetAddress.getByName("[" + t + "]"); // brackets: a literal or an error, never a lookup
            }
        } catch (UnknownHostException e) {
            return null;
        }
        return null;
    }

    public boolean contains(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length != network.length) {
            return false;
        }
        for (int bit = 0; bit < prefix; bit++) {
            int mask = 0x80 >> (bit % 8);
            if ((b[bit / 8] & mask) != (network[bit / 8] & mask)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefix == prefix && Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(network) + prefix;
    }

    @Override
    public String toString() {
        try {
            return InetAddress.getByAddress(network).getHostAddress() + "/" + prefix;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
