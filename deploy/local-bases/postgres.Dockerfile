# Local stand-in for the official PostgreSQL image (postgres:15.x-bookworm), made from Debian's
# `postgresql-15` when no container registry answers (deploy/local-bases.sh builds it; never published).
# Same contract as the official image for what docker-compose.yml uses: POSTGRES_USER,
# POSTGRES_PASSWORD and POSTGRES_DB make the cluster on the first start, data in
# /var/lib/postgresql/data, `pg_isready` on the PATH, password (scram) logins over TCP.
ARG DEBIAN_IMAGE=arena-local/debian:12
FROM ${DEBIAN_IMAGE}

# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-15 \
    && rm -rf /var/lib/apt/lists/* \
    && install -d -o postgres -g postgres -m 0700 /var/lib/postgresql/data

ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/data \
    LANG=C.UTF-8
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
VOLUME ["/var/lib/postgresql/data"]
EXPOSE 5432
# Fast shutdown (SIGINT), as the official image: `docker stop` does not wait for clients to leave.
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]
CMD ["postgres"]
