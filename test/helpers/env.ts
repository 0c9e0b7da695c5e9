// Broker logs are asserted on where they matter (see the log-capture
// test); elsewhere they would only bury jest's report.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
