"""What only the Kubeflow side needs, in one place: compiling the native KFP pipelines
(`compiler`, their inputs flattened by `flat_config`), running a package under kfp.local
(`local_runner`), uploading and scheduling it (`submitter`, `cron`), the monitors' references and
schedules (`monitors`), registering a KFP-trained model with ZenML (`registry`) and the Kubeflow
stack's definition (`stack_template`).

`compiler`, `local_runner`, `registry` and `submitter` use kfp or ZenML; `monitors`, `cron`,
`flat_config` and `stack_template` import no framework, so the shared core may use them
(continuous training reads the monitors' references).
"""
