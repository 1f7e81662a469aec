-- The sweep of orphaned S3 objects asks, page by page of an S3 listing,
-- which keys files, file parts and jobs still name (ReferencedObjects).
-- Mirrors internal/sqlite/migrations/0012_object_refs.sql.

CREATE INDEX files_object_key ON files (object_key);
CREATE INDEX file_parts_object_key ON file_parts (object_key);
CREATE INDEX batch_jobs_input_key ON batch_jobs (input_key);
