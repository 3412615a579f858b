-- Evolution API keeps its own tables in a separate database on the same server.
CREATE DATABASE evolution OWNER nextmavens;
-- A second Evolution API server of the pool (the commented evolution-2 service of docker-compose.yml) uses its own.
-- CREATE DATABASE evolution2 OWNER nextmavens;
