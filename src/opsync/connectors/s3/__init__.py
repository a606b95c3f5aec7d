"""The S3 feed store (``type = "s3"``): files opsync owns whole, such as the ritual calendar,
in a bucket of Amazon S3 or any S3-compatible store, through boto3 (the ``s3`` extra)."""
