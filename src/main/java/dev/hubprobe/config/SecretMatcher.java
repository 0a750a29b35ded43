package dev.hubprobe.config;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Finds every occurrence of any of a fixed set of strings in one pass over a text (an Aho-Corasick
 * automaton), so masking costs the text's length, not secrets x forms x length: with 1,000 hub tokens
 * a replace per form took about a second per megabyte. Built once per change of the set; immutable, so
 * any number of threads may use one.
 */
final class SecretMatcher {
    static final SecretMatcher EMPTY = new SecretMatcher(List.of());

    /** Per node: the characters it has a child for, sorted, and those children. */
    private final char[][] keys;
    private final int[][] children;
    private final int[] fail;
    private final int[] depth;
    /** Per node: the length of the longest string of the set that ends here (itself or a suffix), 0 if none. */
    private final int[] longest;

    SecretMatcher(Collection<String> strings) {
        List<TreeMap<Character, Integer>> trie = new ArrayList<>();
        List<Integer> depths = new ArrayList<>();
        List<Boolean> terminal = new ArrayList<>();
        trie.add(new TreeMap<>());
        depths.add(0);
        terminal.add(false);
        for (String s : strings) {
            if (s.isEmpty()) {
                continue;
            }
            int node = 0;
            for (int i = 0; i < s.length(); i++) {
                Integer next = trie.get(node).get(s.charAt(i));
                if (next == null) {
                    next = trie.size();
                    trie.get(node).put(s.charAt(i), next);
                    trie.add(new TreeMap<>());
                    depths.add(i + 1);
                    terminal.add(false);
                }
                node = next;
            }
            terminal.set(node, true);
        }
        int n = trie.size();
        keys = new char[n][];
        children = new int[n][];
        depth = new int[n];
        for (int i = 0; i < n; i++) {
            TreeMap<Character, Integer> m = trie.get(i);
            keys[i] = new char[m.size()];
            children[i] = new int[m.size()];
            int j = 0;
            for (Map.Entry<Character, Integer> e : m.entrySet()) {
                keys[i][j] = e.getKey();
                children[i][j++] = e.getValue();
            }
            depth[i] = depths.get(i);
        }
        fail = new int[n];
        longest = new int[n];
        // breadth first: a node's failure link is shallower than the node, so it is done before it
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        queue.add(0);
        while (!queue.isEmpty()) {
            int u = queue.poll();
            for (int j = 0; j < keys[u].length; j++) {
                int v = children[u][j];
                char c = keys[u][j];
                int f = fail[u];
                int link = 0;
                if (u != 0) {
                    while (f != 0 && child(f, c) < 0) {
                        f = fail[f];
                    }
                    link = Math.max(child(f, c), 0);
                }
                fail[v] = link;
                longest[v] = terminal.get(v) ? depth[v] : longest[link];
                queue.add(v);
            }
        }
    }

    boolean isEmpty() {
        return keys[0].length == 0;
    }

    private int child(int node, char c) {
        char[] k = keys[node];
        int lo = 0;
        int hi = k.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (k[mid] < c) {
                lo = mid + 1;
            } else if (k[mid] > c) {
                hi = mid - 1;
            } else {
                return children[node][mid];
            }
        }
        return -1;
    }

    /**
     * Sets in {@code masked} every character of {@code text} inside an occurrence of a string of the
     * set, and, right before each of {@code cutMarkers}, the text's tail when it is the start (at least
     * {@code minPrefix} characters) of a string of the set: what a cut left of a secret.
     */
    void mark(String text, BitSet masked, List<String> cutMarkers, int minPrefix) {
        if (isEmpty()) {
            return;
        }
        int state = 0;
        for (int i = 0; i < text.length(); i++) {
            // the state is the longest tail of text[0, i) that starts some string of the set
            if (depth[state] >= minPrefix && startsWithAny(text, i, cutMarkers)) {
                masked.set(i - depth[state], i);
            }
            char c = text.charAt(i);
            int next;
            while ((next = child(state, c)) < 0 && state != 0) {
                state = fail[state];
            }
            state = Math.max(next, 0);
            if (longest[state] > 0) {
                masked.set(i + 1 - longest[state], i + 1);
            }
        }
    }

    private static boolean startsWithAny(String text, int at, List<String> markers) {
        for (String m : markers) {
            if (text.startsWith(m, at)) {
                return true;
            }
        }
        return false;
    }
}
