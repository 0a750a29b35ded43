package dev.hubprobe.bench;

import dev.hubprobe.config.Redactor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * What masking costs with many configured secrets: {@code bench.secrets} hub tokens (default 1,000),
 * one redact of a {@code bench.kib} text (default 1,024 KiB: a cell's output before its cap) holding a
 * few of them. Run it with {@code ./mvnw -q -Pbench-redact verify}.
 *
 * <p>Prints, median and max of 9 (after 3 warm-ups): the one-pass matcher the service uses, and, for
 * comparison, a replace per form of every secret (how it was done before).
 */
public final class RedactionBenchmark {
    public static void main(String[] args) {
        int secrets = Integer.getInteger("bench.secrets", 1000);
        int kib = Integer.getInteger("bench.kib", 1024);
        Random random = new Random(42);
        Redactor redactor = new Redactor();
        List<String> tokens = new ArrayList<>();
        long b0 = System.nanoTime();
        for (int i = 0; i < secrets; i++) {
            String t = hex(random, 32);
            tokens.add(t);
            redactor.add(t);
        }
        redactor.redact("first use builds the matcher");
        double build = (System.nanoTime() - b0) / 1e6;
        StringBuilder text = new StringBuilder();
        while (text.length() < kib * 1024) {
            text.append("line ").append(text.length()).append(": Traceback (most recent call last) ").append(hex(random, 24))
                    .append(text.length() % 50_000 < 80 ? " token " + tokens.get(random.nextInt(secrets)) : "").append('\n');
        }
        String input = text.toString();
        Set<String> forms = new HashSet<>(tokens);
        double[] matcher = time(() -> redactor.redact(input));
        double[] replace = time(() -> {
            String out = input;
            for (String f : forms) {
                if (out.contains(f)) {
                    out = out.replace(f, Redactor.MASK);
                }
            }
            return out;
        });
        System.out.printf(Locale.ROOT, "secrets=%d text=%d KiB: building the matcher %.0f ms (%d adds)%n", secrets, kib, build, secrets);
        System.out.printf(Locale.ROOT, "one-pass matcher: median %.1f ms, max %.1f ms%n", matcher[0], matcher[1]);
        System.out.printf(Locale.ROOT, "replace per secret (one form each): median %.1f ms, max %.1f ms%n", replace[0], replace[1]);
    }

    private static double[] time(java.util.function.Supplier<String> run) {
        for (int i = 0; i < 3; i++) {
            run.get();
        }
        double[] ms = new double[9];
        for (int i = 0; i < ms.length; i++) {
            long t0 = System.nanoTime();
            if (run.get().isEmpty()) {
                throw new IllegalStateException();
            }
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return new double[] {ms[ms.length / 2], ms[ms.length - 1]};
    }

    private static String hex(Random random, int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append(Character.forDigit(random.nextInt(16), 16));
        }
        return b.toString();
    }
}
