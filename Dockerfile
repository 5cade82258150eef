# Build stage: the Maven wrapper fetches Maven and the dependencies.
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY .mvn .mvn
COPY mvnw pom.xml ./
RUN ./mvnw -B -q dependency:go-offline
COPY src src
COPY db db
RUN ./mvnw -B -q -DskipTests package && cp target/vestibule-*.jar /vestibule.jar

# Run stage: the fat jar on a JRE. The embedded database is not in the jar; point
# SPRING_DATASOURCE_URL at a PostgreSQL (docker-compose.yml does).
FROM eclipse-temurin:17-jre
RUN useradd --system --home /var/lib/vestibule vestibule && mkdir -p /var/lib/vestibule \
    && chown vestibule /var/lib/vestibule
USER vestibule
WORKDIR /var/lib/vestibule
COPY --from=build /vestibule.jar /opt/vestibule.jar
ENV VESTIBULE_DATA_DIR=/var/lib/vestibule
EXPOSE 8008 8448
HEALTHCHECK --interval=5s --timeout=3s --retries=12 \
  CMD wget -q -O /dev/null http://localhost:8008/actuator/health || exit 1
ENTRYPOINT ["java", "-jar", "/opt/vestibule.jar"]
