# Build stage: the pinned Maven (wrapper) on a JDK 17; the jar targets Java 17 bytecode.
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY .mvn .mvn
COPY mvnw pom.xml ./
RUN ./mvnw -q -B dependency:go-offline
COPY src src
COPY probes probes
RUN ./mvnw -q -B -DskipTests package

# Runtime: JRE 21, non-root. Mount probes (and later the service config) over /etc/hubprobe.
FROM eclipse-temurin:21-jre
RUN useradd --system --uid 10001 --home-dir /var/lib/hubprobe --create-home hubprobe
COPY --from=build /src/target/hubprobe.jar /opt/hubprobe/hubprobe.jar
COPY probes /etc/hubprobe/probes
USER hubprobe
WORKDIR /var/lib/hubprobe
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/opt/hubprobe/hubprobe.jar"]
CMD ["--help"]
