# Build stage: the pinned Maven (wrapper) on a JDK 17; the jar targets Java 17 bytecode.
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY .mvn .mvn
COPY mvnw pom.xml ./
RUN ./mvnw -q -B dependency:go-offline
COPY src src
COPY probes probes
RUN ./mvnw -q -B -DskipTests package

# Runtime: Debian's JRE 17 with Debian's Chromium and chromedriver (UI probes: probe key ui:), non-root.
# Everything from Debian's archive, pinned by the base image's digest-less tag and its security updates
# at build time; no browser is downloaded at run time. /etc/hubprobe mirrors the repository (config/, probes/), so the shipped
# config's relative paths hold: probes in /etc/hubprobe/probes, and ../data, the history, is the volume
# /var/lib/hubprobe. Mount your own config/hubprobe.yml and probes/ over them. Secrets come from the
# environment or mounted files, as the config names them.
FROM debian:bookworm-slim
# --no-install-recommends: no fonts, no X beyond what chromium itself depends on; the lists are removed
RUN apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jre-headless chromium chromium-driver ca-certificates \
    && rm -rf /var/lib/apt/lists/*
# the history's folder (the volume) is the service user's alone: it holds every hub's failures and output
RUN useradd --system --uid 10001 --home-dir /var/lib/hubprobe --create-home hubprobe && chmod 0700 /var/lib/hubprobe
COPY --from=build /src/target/hubprobe.jar /opt/hubprobe/hubprobe.jar
# the launcher picks the JVM options (serial GC, capped heap: RSS under 200 MB for up to 100 hubs;
# HUBPROBE_HEAP=512m for 1,000) and the health check needs no JVM
COPY bin/hubprobe bin/healthcheck bin/hubprobe.classlist /opt/hubprobe/bin/
ENV HUBPROBE_JAR=/opt/hubprobe/hubprobe.jar HUBPROBE_CDS_DIR=/opt/hubprobe/cds
# The class-data archive (a check starts in half the time with it) is built here, as root, by this
# image's own JVM and jar, into a folder only root could ever write, then made read-only: the JVM runs
# an archive's code without verifying it, so none is written to, or mapped from, the data volume. No
# hub is there at build time: the archive is dumped from bin/hubprobe.classlist, the classes a passing
# check loads (a check against a closed port, the training run before, missed the 240 that come after
# the hub's first answer, and a check then took 19 % more CPU).
# (LauncherArchiveIT runs this RUN line, paths moved, checks that a passing check loads next to nothing
# outside what it wrote, and that the service maps it.)
RUN /opt/hubprobe/bin/hubprobe write-class-archive && chmod 0444 /opt/hubprobe/cds/hubprobe-* && chmod 0555 /opt/hubprobe/cds
COPY probes /etc/hubprobe/probes
COPY config/hubprobe.yml /etc/hubprobe/config/hubprobe.yml
RUN ln -s /var/lib/hubprobe /etc/hubprobe/data
USER hubprobe
WORKDIR /var/lib/hubprobe
VOLUME ["/var/lib/hubprobe"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["/opt/hubprobe/bin/healthcheck"]
ENTRYPOINT ["/opt/hubprobe/bin/hubprobe"]
# A stop lets running probes clean up on their hubs (kernel, then server): give it time, e.g.
# `docker stop -t 300` or a Kubernetes terminationGracePeriodSeconds of 300.
CMD ["serve", "--config", "/etc/hubprobe/config/hubprobe.yml", "--bind", "0.0.0.0"]
