package dev.hubprobe.web;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hubprobe.json.Json;
import dev.hubprobe.service.LoadedConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import okhttp3.FormBody;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * JupyterHub's side of signing an operator in (its OAuth provider, as its own {@code HubOAuth} uses it):
 * the authorize URL the browser is sent to, the code exchanged for a token at {@code /hub/api/oauth2/token},
 * and {@code GET /hub/api/user} with that token, whose answer names the user, their groups and the
 * token's scopes. Whether that identity may see the operator view is {@link #refusal}.
 *
 * <p>Nothing here puts the code, the token or the client secret in a message: the errors say what the
 * hub answered (its status), never what was sent.
 */
final class HubSignIn {
    /** Every call to the hub has a deadline: a hub that hangs makes a clear error page, not a hung sign-in. */
    private static final OkHttpClient HTTP = new OkHttpClient.Builder().connectTimeout(5, TimeUnit.SECONDS)
            .readTimeout(10, TimeUnit.SECONDS).callTimeout(15, TimeUnit.SECONDS).followRedirects(false).build();

    /** The most of an answer read from the hub (its user model and token answers are a few kB). */
    private static final long MAX_ANSWER = 1_000_000;

    private HubSignIn() {
    }

    /** Who the hub says the token's owner is. */
    record Identity(String name, List<String> groups, List<String> scopes) {
    }

    /** The hub could not be asked (down, refusing connections, timing out, answering 5xx or nonsense). */
    static final class Unreachable extends Exception {
        Unreachable(String message) {
            super(message);
        }
    }

    /** The hub answered, and said no (the code or the token is not, or no longer, good). */
    static final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }

    /**
     * JupyterHub's default redirect URI of a service reached through its proxy: the service's prefix
     * and {@code oauth_callback}, as a path (the hub registers it so, and compares it as written).
     */
    static String redirectUri() {
        return Html.url("oauth_callback");
    }

    /** Where the browser goes to sign in at the hub (and to agree, the first time, if the hub asks). */
    static String authorizeUrl(LoadedConfig.HubOAuth o, String state) {
        return HttpUrl.get(o.hubUrl() + "/hub/api/oauth2/authorize").newBuilder()
                .addQueryParameter("client_id", o.clientId())
                .addQueryParameter("redirect_uri", redirectUri())
                .addQueryParameter("response_type", "code")
                .addQueryParameter("state", state)
                .build().toString();
    }

    /** The access token for a callback's code. */
    static String exchange(LoadedConfig.HubOAuth o, String code) throws Unreachable, Refused {
        FormBody form = new FormBody.Builder().add("grant_type", "authorization_code").add("code", code)
                .add("redirect_uri", redirectUri()).add("client_id", o.clientId()).add("client_secret", o.clientSecret().reveal()).build();
        Request request = new Request.Builder().url(o.hubUrl() + "/hub/api/oauth2/token").post(form)
                .header("Accept", "application/json").build();
        JsonNode body = call(o, request, "exchanging the sign-in's code for a token");
        String token = body.path("access_token").asText("");
        if (token.isEmpty()) {
            throw new Unreachable("the hub at " + o.hubUrl() + " answered the token request without an access_token");
        }
        return token;
    }

    /** {@code GET /hub/api/user} with the user's token. */
    static Identity user(LoadedConfig.HubOAuth o, String token) throws Unreachable, Refused {
        Request request = new Request.Builder().url(o.hubUrl() + "/hub/api/user").header("Authorization", "Bearer " + token)
                .header("Accept", "application/json").build();
        JsonNode body = call(o, request, "asking who signed in");
        String name = body.path("name").asText("");
        if (name.isEmpty() || !"user".equals(body.path("kind").asText("user"))) {
            throw new Refused("the hub's token is not a user's");
        }
        // the name goes into logs, pages and the session row (VARCHAR(255)): a control character would forge log
        // lines, a longer one would fail as a "database does not answer"; JupyterHub names have neither
        if (name.length() > 255 || name.codePoints().anyMatch(Character::isISOControl)) {
            throw new Refused("the hub answered with something that is not a user name");
        }
        return new Identity(name, strings(body.path("groups")), strings(body.path("scopes")));
    }

    /**
     * Why this identity may not see the operator view, or empty when it may: the token must hold the
     * service's access scope (the hub grants it to whom a role gives {@code access:services!service=<name>}),
     * and the user must be listed in {@code allow.users} or be in a group of {@code allow.groups}.
     */
    static Optional<String> refusal(LoadedConfig.HubOAuth o, Identity who) {
        String scope = "access:services!service=" + o.serviceName();
        if (!who.scopes().contains(scope) && !who.scopes().contains("access:services")) {
            return Optional.of("the hub does not give " + who.name() + " the scope " + scope);
        }
        if (o.users().contains(who.name()) || who.groups().stream().anyMatch(o.groups()::contains)) {
            return Optional.empty();
        }
        return Optional.of(who.name() + " is in none of the groups and not among the users server.hub_oauth.allow lists");
    }

    private static JsonNode call(LoadedConfig.HubOAuth o, Request request, String what) throws Unreachable, Refused {
        try (Response r = HTTP.newCall(request).execute()) {
            if (r.code() == 400 || r.code() == 401 || r.code() == 403) {
                throw new Refused("the hub refused " + what + " (HTTP " + r.code() + ")");
            }
            if (r.code() != 200) {
                throw new Unreachable("the hub at " + o.hubUrl() + " answered HTTP " + r.code() + " " + what);
            }
            // at most 1 MB read: a hub that answers without end must not fill this process's memory before the check
            okio.BufferedSource source = r.body() == null ? null : r.body().source();
            if (source != null && source.request(MAX_ANSWER + 1)) {
                throw new Unreachable("the hub at " + o.hubUrl() + " answered " + what + " with more than 1 MB");
            }
            String text = source == null ? "" : source.readUtf8();
            return Json.mapper().readTree(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            // not Jackson's message: it quotes the body, which may hold the token
            throw new Unreachable("the hub at " + o.hubUrl() + " answered " + what + " with something that is not JSON");
        } catch (IOException e) {
            // OkHttp's messages name the host and the failure, never the request's body or headers
            throw new Unreachable("the hub at " + o.hubUrl() + " does not answer " + what + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return List.copyOf(out);
    }
}
