# Build stage: the Maven wrapper fetches Maven and the dependencies; `package` also generates the
# bean definitions ahead of time (Spring AOT).
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY .mvn .mvn
COPY mvnw pom.xml ./
RUN ./mvnw -B -q dependency:go-offline
COPY src src
COPY db db
RUN ./mvnw -B -q -DskipTests package && cp target/vestibule-*.jar /vestibule.jar

# Run stage: bin/vestibule on a JDK 25 runtime (its ahead-of-time cache). The embedded database
# is not in the jar; point SPRING_DATASOURCE_URL at a PostgreSQL (docker-compose.yml does).
# The extracted jar and the start-up cache live in the data volume: make the cache once with
#   docker compose run --rm vestibule train
FROM eclipse-temurin:25-jre
RUN useradd --system --home /var/lib/vestibule vestibule && mkdir -p /var/lib/vestibule \
    && chown vestibule /var/lib/vestibule \
    && apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
COPY --from=build /vestibule.jar /opt/vestibule/vestibule.jar
COPY bin/vestibule /opt/vestibule/bin/vestibule
USER vestibule
WORKDIR /var/lib/vestibule
ENV VESTIBULE_DATA_DIR=/var/lib/vestibule VESTIBULE_JAR=/opt/vestibule/vestibule.jar \
    VESTIBULE_APP_DIR=/var/lib/vestibule/app
EXPOSE 8008 8448
HEALTHCHECK --interval=5s --timeout=3s --retries=12 \
  CMD curl -sf -o /dev/null http://localhost:8008/actuator/health || exit 1
ENTRYPOINT ["/opt/vestibule/bin/vestibule"]
