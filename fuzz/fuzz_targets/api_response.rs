//! QingCloud answers: job and cluster JSON, directives inside jobs, configssl values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qingcloud::{Cluster, Job, parse_configssl, ssl_job_setting};

fuzz_target!(|data: &[u8]| {
    if let Ok(job) = serde_json::from_slice::<Job>(data) {
        let _ = job.directive();
        let _ = ssl_job_setting(&job);
    }
    let _ = serde_json::from_slice::<Cluster>(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let job = Job {
            directive: Some(text.to_string()),
            ..Job::default()
        };
        let _ = ssl_job_setting(&job);
        let _ = parse_configssl(text);
    }
});
