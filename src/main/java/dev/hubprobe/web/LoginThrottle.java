package dev.hubprobe.web;

import dev.hubprobe.service.ServiceState;
import io.micrometer.core.instrument.Counter;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Inject;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Wrong tokens, per client address, whether typed at {@code POST /login} or sent as a bearer header
 * (to {@code /metrics}, the API, a page): after {@link #LIMIT} within a minute, every sign-in and
 * every bearer request from that address is refused unchecked until the oldest of them is a minute
 * old, so the token cannot be guessed at the speed of the network by either door. Counted in
 * {@code hubprobe_login_failures_total{reason="wrong_token"|"wrong_bearer"|"throttled"}} (never the address).
 *
 * <p>The address is the connection's own ({@link ClientAddress}): {@code X-Forwarded-For} only when
 * the connection comes from one of {@code server.trusted_proxies} (anyone else could make one up and
 * get five more attempts per made-up address). An IPv6 client counts by its /64, which one host
 * usually has whole.
 */
@Context // made at start, so the counters are in /metrics before the first failure
@Requires(beans = ServiceState.class)
public final class LoginThrottle {
    static final int LIMIT = 5;
    static final Duration WINDOW = Duration.ofMinutes(1);
    /** A bound on memory against many addresses; past it the address whose last failure is oldest is forgotten. */
    static final int MAX_ADDRESSES = 10_000;

    private final Map<String, Deque<Instant>> failures = new HashMap<>();
    private final Clock clock;
    private final Counter wrong;
    private final Counter wrongBearer;
    private final Counter throttled;

    @Inject
    public LoginThrottle(ServiceState state) {
        this(Clock.systemUTC(), counter(state, "wrong_token"), counter(state, "wrong_bearer"), counter(state, "throttled"));
    }

    LoginThrottle(Clock clock, Counter wrong, Counter wrongBearer, Counter throttled) {
        this.clock = clock;
        this.wrong = wrong;
        this.wrongBearer = wrongBearer;
        this.throttled = throttled;
    }

    private static Counter counter(ServiceState state, String reason) {
        return Counter.builder("hubprobe.login.failures").tag("reason", reason)
                .description("wrong tokens at POST /login (wrong_token) or as a bearer header (wrong_bearer), and attempts refused unchecked while throttled")
                .register(state.metrics().registry());
    }

    /** Empty when {@code from} may try a token now; else how long until it may (and the attempt is counted). */
    public synchronized Optional<Duration> check(InetAddress from) {
        Deque<Instant> seen = failures.get(key(from));
        Instant now = clock.instant();
        if (seen == null) {
            return Optional.empty();
        }
        expire(seen, now);
        if (seen.size() < LIMIT) {
            return Optional.empty();
        }
        throttled.increment();
        return Optional.of(Duration.between(now, seen.peekFirst().plus(WINDOW)));
    }

    /** A wrong token typed at {@code POST /login} from {@code from}. */
    public void failed(InetAddress from) {
        wrong.increment();
        record(from);
    }

    /** A bearer header from {@code from} with neither token in it. */
    public void failedBearer(InetAddress from) {
        wrongBearer.increment();
        record(from);
    }

    private synchronized void record(InetAddress from) {
        Instant now = clock.instant();
        if (failures.size() >= MAX_ADDRESSES) {
            failures.values().removeIf(d -> {
                expire(d, now);
                return d.isEmpty();
            });
            if (failures.size() >= MAX_ADDRESSES) {
                failures.entrySet().stream().min(Comparator.comparing(e -> e.getValue().peekLast()))
                        .map(Map.Entry::getKey).ifPresent(failures::remove);
            }
        }
        Deque<Instant> seen = failures.computeIfAbsent(key(from), k -> new ArrayDeque<>());
        expire(seen, now);
        seen.addLast(now);
    }

    private static void expire(Deque<Instant> seen, Instant now) {
        while (!seen.isEmpty() && !now.isBefore(seen.peekFirst().plus(WINDOW))) {
            seen.removeFirst();
        }
    }

    private static String key(InetAddress a) {
        byte[] b = a.getAddress();
        return a instanceof Inet6Address ? "6:" + java.util.HexFormat.of().formatHex(Arrays.copyOf(b, 8)) : a.getHostAddress();
    }
}
