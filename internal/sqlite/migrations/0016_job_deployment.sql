-- The deployment of a model group (several model_list entries with one
-- model_name) a batch's job, or each job of a split batch, runs on, so that
-- the reconciler polls the right region and reads the right bucket. ''
-- (batches from before groups): the group's first deployment.
-- Same conventions as 0001_init.sql.

ALTER TABLE batches ADD COLUMN deployment TEXT NOT NULL DEFAULT '';
ALTER TABLE batch_jobs ADD COLUMN deployment TEXT NOT NULL DEFAULT '';
