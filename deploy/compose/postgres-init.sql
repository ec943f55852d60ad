-- Runs once, when the postgres volume is first created: one database per
-- node, owned by the compose role (POSTGRES_USER). For a production server
-- give each node its own role with rights on its own database only.
CREATE DATABASE fengqiao_410411;
CREATE DATABASE fengqiao_410411001;
CREATE DATABASE fengqiao_410411001001;
CREATE DATABASE fengqiao_410411001001001;
