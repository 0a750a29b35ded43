# Build stage: the pinned Maven (wrapper) on a JDK 17; the jar targets Java 17 bytecode.
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY .mvn .mvn
COPY mvnw pom.xml ./
RUN ./mvnw -q -B dependency:go-offline
COPY src src
COPY probes probes
RUN ./mvnw -q -B -DskipTests package

# Runtime: JRE 21, non-root. Mount your config at /etc/hubprobe/hubprobe.yml and probes at
# /etc/hubprobe/probes; history lives in /var/lib/hubprobe (a volume). Secrets come from the
# environment or mounted files, as the config names them.
FROM eclipse-temurin:21-jre
RUN useradd --system --uid 10001 --home-dir /var/lib/hubprobe --create-home hubprobe
COPY --from=build /src/target/hubprobe.jar /opt/hubprobe/hubprobe.jar
COPY probes /etc/hubprobe/probes
COPY config/hubprobe.yml /etc/hubprobe/hubprobe.yml
USER hubprobe
WORKDIR /var/lib/hubprobe
VOLUME ["/var/lib/hubprobe"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["java", "-cp", "/opt/hubprobe/hubprobe.jar", "dev.hubprobe.cli.Main", "health", "--url", "http://127.0.0.1:8080/health"]
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/opt/hubprobe/hubprobe.jar"]
CMD ["serve", "--config", "/etc/hubprobe/hubprobe.yml"]
