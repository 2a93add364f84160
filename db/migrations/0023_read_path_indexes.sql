-- Reserved for issue 14; replaced by its DDL. A no-op until then.
SELECT 1;