package dev.hubprobe.report;

import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.probe.RunResult;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * JUnit XML, one testcase per phase, so CI systems show which phase of a post-deploy check broke.
 * Phases not reached are {@code skipped}; the failed one carries the reason as type and the message.
 */
public final class JUnitReport {
    private JUnitReport() {
    }

    public static void write(RunResult r, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            XMLStreamWriter x = XMLOutputFactory.newInstance().createXMLStreamWriter(out);
            long failures = r.phases().stream().filter(p -> p.status() == PhaseResult.Status.FAILED && !notTheHubs(r, p)).count();
            long skipped = r.phases().stream().filter(p -> p.status() == PhaseResult.Status.SKIPPED || notTheHubs(r, p)).count();
            String suite = "hubprobe." + r.hub() + "." + r.probe();
            x.writeStartDocument("UTF-8", "1.0");
            x.writeCharacters("\n");
            x.writeStartElement("testsuites");
            x.writeStartElement("testsuite");
            x.writeAttribute("name", xml(suite));
            x.writeAttribute("tests", Integer.toString(r.phases().size()));
            x.writeAttribute("failures", Long.toString(failures));
            x.writeAttribute("errors", "0");
            x.writeAttribute("skipped", Long.toString(skipped));
            x.writeAttribute("time", seconds(r.duration()));
            x.writeAttribute("timestamp", r.startedAt().toString());
            if (!r.measurements().isEmpty()) {
                // what the cells measured, in base units, as CI systems show a suite's properties
                x.writeCharacters("\n  ");
                x.writeStartElement("properties");
                for (dev.hubprobe.probe.Measurement m : r.measurements()) {
                    x.writeCharacters("\n    ");
                    x.writeEmptyElement("property");
                    x.writeAttribute("name", "measurement." + m.name());
                    x.writeAttribute("value", Double.toString(m.value()));
                }
                x.writeCharacters("\n  ");
                x.writeEndElement();
            }
            for (PhaseResult p : r.phases()) {
                x.writeCharacters("\n  ");
                x.writeStartElement("testcase");
                x.writeAttribute("classname", xml(suite));
                x.writeAttribute("name", p.label());
                x.writeAttribute("time", seconds(p.duration()));
                if (notTheHubs(r, p)) {
                    // the probe's own cleanup cells failed on a hub that did nothing wrong: the run passed and
                    // check exits 0, so CI must not go red; skipped-with-message keeps it in sight in CI pages
                    x.writeStartElement("skipped");
                    x.writeAttribute("message", xml(p.reason().label() + " (the run did not fail): " + p.message()));
                    x.writeEndElement();
                    x.writeStartElement("system-err");
                    x.writeCharacters(xml(p.reason().label() + ": " + (p.message() == null ? "" : p.message())));
                    x.writeEndElement();
                } else if (p.status() == PhaseResult.Status.FAILED) {
                    x.writeStartElement("failure");
                    x.writeAttribute("type", p.reason().label());
                    x.writeAttribute("message", xml(p.reason().label() + ": " + p.message()));
                    x.writeCharacters(p.message() == null ? "" : xml(p.message()));
                    x.writeEndElement();
                } else if (p.status() == PhaseResult.Status.SKIPPED) {
                    x.writeEmptyElement("skipped");
                }
                x.writeEndElement();
            }
            x.writeCharacters("\n");
            x.writeEndElement();
            x.writeEndElement();
            x.writeEndDocument();
            x.close();
        } catch (XMLStreamException e) {
            throw new IOException("cannot write JUnit report " + file + ": " + e.getMessage(), e);
        }
    }

    /** A failed phase that did not fail the run: the cleanup cells (their failure is a note, never the hub's). */
    private static boolean notTheHubs(RunResult r, PhaseResult p) {
        return p.status() == PhaseResult.Status.FAILED && p.phase() == Phase.CLEANUP && r.failedPhase() != Phase.CLEANUP;
    }

    /**
     * Text XML 1.0 can carry: a cell's output in a message (a saved-output diff, an error value) may hold
     * ANSI colour codes or other control characters, which the writer copies as they are, and a CI's
     * parser then refuses the whole file. Each becomes U+FFFD.
     */
    static String xml(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = c == '\t' || c == '\n' || c == '\r' || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD)
                    || (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1)))
                    || (Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(s.charAt(i - 1)));
            if (!ok && b == null) {
                b = new StringBuilder(s.length()).append(s, 0, i);
            }
            if (b != null) {
                b.append(ok ? c : '\uFFFD');
            }
        }
        return b == null ? s : b.toString();
    }

    private static String seconds(java.time.Duration d) {
        return String.format(Locale.ROOT, "%.3f", JsonReport.seconds(d));
    }
}
