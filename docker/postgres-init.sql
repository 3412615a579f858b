-- Evolution API keeps its own tables in a separate database on the same server.
CREATE DATABASE evolution OWNER nextmavens;
