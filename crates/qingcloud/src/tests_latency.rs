//! Latency: against a fake API that answers every call after a fixed delay (tokio's paused
//! clock, so the delays cost no real time), a read costs one round trip and a create three,
//! however the reads and creates overlap, with the calls counted.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::client::Client;
use super::cluster_batch::RECENT;
use super::model::MYSQL_PLUS_APP_IDS;
use super::ssl::{HistoryPolicy, Setting, SslService, SslState};
use super::testing::{FakeApi, Params, fake_client, indexed_values, ok};

/// The fake API's round trip: QingCloud from a CI runner in China.
const RTT: Duration = Duration::from_millis(50);
/// What a fresh lookup or a first job look may add to the round trip: the gathering window (4 ms
/// at most before any answer, then half the round trip at most).
const WINDOW: Duration = Duration::from_millis(25);
/// The tasks' hand-offs.
const HANDOFF: Duration = Duration::from_millis(1);

/// The most a read may take: a round trip, plus the window when it is fresh.
fn one_round_trip(how: Read) -> Duration {
    match how {
        Read::Fresh => RTT + WINDOW + HANDOFF,
        Read::Refresh => RTT + HANDOFF,
    }
}

/// The zone's clusters `cl-*` of the listing, MySQL Plus and active (idle unless `transition`
/// says otherwise), no jobs yet, submissions that start job `j-CLUSTER`, jobs done at the first
/// look. A listing (no `clusters.N`) holds `listed` clusters `cl-000`, `cl-001`, ...
fn api_with(
    listed: usize,
    transition: impl Fn(&str) -> &'static str + Send + Sync + 'static,
) -> Arc<FakeApi> {
    let cluster = move |id: &str| {
        json!({"cluster_id": id, "status": "active", "app_id": MYSQL_PLUS_APP_IDS[0],
               "transition_status": transition(id)})
    };
    FakeApi::with_delay(RTT, move |action, p: &Params| match action {
        "DescribeClusters" => {
            let ids = indexed_values(p, "clusters");
            if ids.is_empty() {
                assert_eq!(p["apps.1"], MYSQL_PLUS_APP_IDS[0], "{p:?}");
                let number = |k: &str| p[k].parse::<usize>().unwrap();
                let (offset, limit) = (number("offset"), number("limit"));
                let set: Vec<_> = (offset..listed.min(offset + limit))
                    .map(|i| cluster(&format!("cl-{i:03}")))
                    .collect();
                return ok(json!({"cluster_set": set, "total_count": listed}));
            }
            let set: Vec<_> = ids.iter().map(|id| cluster(id)).collect();
            ok(json!({"cluster_set": set, "total_count": set.len()}))
        }
        "DescribeClusterJobs" => ok(json!({"job_set": [], "total_count": 0})),
        "RunClusterCustomService" => ok(json!({"job_id": format!("j-{}", p["cluster"])})),
        "DescribeJobs" => {
            let set: Vec<_> = indexed_values(p, "jobs")
                .into_iter()
                .map(|id| json!({"job_id": id, "status": "successful"}))
                .collect();
            ok(json!({"job_set": set}))
        }
        other => panic!("unexpected {other}"),
    })
}

fn api() -> Arc<FakeApi> {
    api_with(0, |_| "")
}

/// How a read is made: for a refresh (`recent`) or fresh, as before a submission.
#[derive(Clone, Copy)]
enum Read {
    Fresh,
    Refresh,
}

async fn read_ssl(client: &Client, cluster: &str, how: Read) -> SslState {
    let service = match how {
        Read::Fresh => SslService::new(client),
        Read::Refresh => SslService::new(client).recent(),
    };
    service
        .read("pek3a", cluster, None, HistoryPolicy::default())
        .await
        .unwrap()
}

async fn read(client: &Client, cluster: &str, how: Read) -> Duration {
    let start = Instant::now();
    let state = read_ssl(client, cluster, how).await;
    assert_eq!(state.cluster.unwrap().cluster_id, cluster);
    assert_eq!(
        state.setting,
        Setting::Seen {
            enabled: false,
            job: None
        }
    );
    start.elapsed()
}

/// Reads of `n` clusters, read `i` starting at `start(i)`; returns how long each took.
async fn reads(
    client: &Client,
    n: usize,
    how: Read,
    start: impl Fn(usize) -> Duration,
) -> Vec<Duration> {
    let t0 = Instant::now();
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let client = client.clone();
            let at = t0 + start(i);
            tokio::spawn(async move {
                tokio::time::sleep_until(at).await;
                read(&client, &format!("cl-{i:03}"), how).await
            })
        })
        .collect();
    let mut took = Vec::new();
    for t in tasks {
        took.push(t.await.unwrap());
    }
    took
}

fn within(took: &[Duration], limit: Duration) {
    assert!(took.iter().all(|t| *t <= limit), "{took:?}");
}

#[tokio::test(start_paused = true)]
async fn a_hundred_concurrent_reads_take_one_round_trip_and_share_one_cluster_lookup() {
    for how in [Read::Fresh, Read::Refresh] {
        let api = api_with(100, |_| "");
        let client = fake_client(&api);
        let took = reads(&client, 100, how, |_| Duration::ZERO).await;
        within(&took, one_round_trip(how));
        assert_eq!(api.count("DescribeClusterJobs"), 100);
        assert_eq!(api.count("DescribeClusters"), 1);
    }
}

#[tokio::test(start_paused = true)]
async fn a_fresh_read_never_waits_behind_a_lookup_in_flight() {
    let api = api();
    let client = fake_client(&api);
    // Ten reads 30 ms apart, more than a window: each arrives while the lookup of the one
    // before is in flight. Waiting for that lookup, and then for its own, took up to two
    // round trips.
    let took = reads(&client, 10, Read::Fresh, |i| {
        Duration::from_millis(30 * i as u64)
    })
    .await;
    within(&took, one_round_trip(Read::Fresh));
    // Too far apart to share: one lookup each, no more.
    assert_eq!(api.count("DescribeClusters"), 10);
    assert_eq!(api.count("DescribeClusterJobs"), 10);
}

/// Terraform's parallelism of 10: ten waves of ten reads, each wave spread over 2 ms, the
/// next one starting as the one before ends.
fn waves(i: usize) -> Duration {
    let wave = (i / 10) as u64;
    Duration::from_micros(wave * 60_000 + (i % 10) as u64 * 200)
}

#[tokio::test(start_paused = true)]
async fn fresh_reads_of_one_wave_share_a_lookup() {
    let api = api();
    let client = fake_client(&api);
    let took = reads(&client, 100, Read::Fresh, waves).await;
    within(&took, one_round_trip(Read::Fresh));
    assert_eq!(api.count("DescribeClusterJobs"), 100);
    assert_eq!(api.count("DescribeClusters"), 10);
}

#[tokio::test(start_paused = true)]
async fn a_refresh_of_a_hundred_in_waves_lists_the_zone_once_and_reads_each_in_one_round_trip() {
    let api = api_with(100, |_| "");
    let client = fake_client(&api);
    let took = reads(&client, 100, Read::Refresh, waves).await;
    within(&took, one_round_trip(Read::Refresh));
    assert_eq!(api.count("DescribeClusterJobs"), 100);
    // One listing of the zone's MySQL Plus clusters, no lookup by id.
    assert_eq!(api.count("DescribeClusters"), 1);
    // Later, a new listing: a refresh never sees the zone older than RECENT.
    tokio::time::sleep(RECENT).await;
    read(&client, "cl-007", Read::Refresh).await;
    assert_eq!(api.count("DescribeClusters"), 2);
}

#[tokio::test(start_paused = true)]
async fn a_zone_of_many_pages_is_listed_side_by_side_and_serves_every_read() {
    let api = api_with(250, |_| "");
    let client = fake_client(&api);
    let took = reads(&client, 250, Read::Refresh, |_| Duration::ZERO).await;
    // The first page, then the other two together: two round trips for the first reads.
    within(&took, 2 * RTT + HANDOFF);
    let offsets: Vec<String> = api
        .calls()
        .iter()
        .filter(|(a, _)| a == "DescribeClusters")
        .map(|(_, p)| {
            assert!(indexed_values(p, "clusters").is_empty(), "a lookup by id");
            p["offset"].clone()
        })
        .collect();
    assert_eq!(offsets.len(), 3);
    assert_eq!(offsets[0], "0");
    let sent = api.sent_at();
    assert_eq!(
        sent[sent.len() - 1],
        sent[sent.len() - 2],
        "pages 2 and 3 side by side"
    );
}

#[tokio::test(start_paused = true)]
async fn a_cluster_the_listing_does_not_hold_is_looked_up_by_id() {
    // The listing holds cl-000 only (say cl-001 is beyond its page); absence is concluded only
    // from a lookup by id.
    let api = api_with(1, |_| "");
    let client = fake_client(&api);
    let took = reads(&client, 2, Read::Refresh, |_| Duration::ZERO).await;
    within(&took[..1], one_round_trip(Read::Refresh));
    within(&took[1..], RTT + one_round_trip(Read::Fresh));
    let calls = api.calls();
    let lookups: Vec<_> = calls
        .iter()
        .filter(|(a, _)| a == "DescribeClusters")
        .map(|(_, p)| indexed_values(p, "clusters"))
        .collect();
    assert_eq!(lookups, [vec![], vec!["cl-001".to_string()]]);
}

#[tokio::test(start_paused = true)]
async fn a_fresh_read_sees_the_cluster_as_it_is_after_it_was_asked_for() {
    // The cluster is busy on the first lookup, idle on later ones; the refresh's listing,
    // sent first, also shows it busy.
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let api = api_with(1, move |_| {
        if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < 2 {
            "updating"
        } else {
            ""
        }
    });
    let client = fake_client(&api);
    let refreshed = read_ssl(&client, "cl-000", Read::Refresh).await;
    assert!(!refreshed.cluster.unwrap().is_idle());
    let c = client.clone();
    let first = tokio::spawn(async move { read_ssl(&c, "cl-000", Read::Fresh).await });
    // Past the first fresh lookup's window: its call is in flight.
    tokio::time::sleep(WINDOW + Duration::from_millis(5)).await;
    // Asked while the first fresh lookup (which sees the cluster busy) is in flight, and
    // while the listing is recent: neither may answer it.
    let asked = Instant::now();
    let second = read_ssl(&client, "cl-000", Read::Fresh).await;
    assert!(
        second.cluster.unwrap().is_idle(),
        "an answer older than the question"
    );
    assert!(asked.elapsed() <= one_round_trip(Read::Fresh));
    assert!(!first.await.unwrap().cluster.unwrap().is_idle());
    let sent = api.sent_at();
    let calls = api.calls();
    let last_lookup = calls
        .iter()
        .rposition(|(a, _)| a == "DescribeClusters")
        .unwrap();
    assert!(sent[last_lookup] >= asked);
    assert_eq!(api.count("DescribeClusters"), 3);
}

/// A create as the resource makes it: a fresh read, the submission, the wait for the job.
async fn create(client: &Client, cluster: &str) -> Duration {
    let start = Instant::now();
    let state = read_ssl(client, cluster, Read::Fresh).await;
    assert!(state.cluster.as_ref().unwrap().is_idle());
    let job = SslService::new(client)
        .submit("pek3a", cluster, true, &state.seen_job_ids)
        .await
        .unwrap();
    client
        .wait_for_job(
            "pek3a",
            &job,
            Duration::from_secs(600),
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    start.elapsed()
}

#[tokio::test(start_paused = true)]
async fn a_create_takes_three_round_trips_and_looks_at_its_job_once() {
    let api = api();
    let client = fake_client(&api);
    // Terraform's parallelism: 10 at a time, each slot starting its next create when its
    // last one ends (a few hundred microseconds apart, as Terraform's own work spaces them).
    let slots: Vec<_> = (0..10)
        .map(|slot| {
            let client = client.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_micros(slot * 200)).await;
                let mut took = Vec::new();
                for k in 0..3 {
                    took.push(create(&client, &format!("cl-{slot}-{k}")).await);
                }
                took
            })
        })
        .collect();
    for slot in slots {
        for took in slot.await.unwrap() {
            // The read's window and the first look's; the submission goes at once.
            assert!(took <= 3 * RTT + 2 * WINDOW + HANDOFF, "{took:?}");
        }
    }
    assert_eq!(api.count("DescribeClusterJobs"), 30);
    assert_eq!(api.count("RunClusterCustomService"), 30);
    // Per wave of ten: one cluster lookup and one look at the ten jobs, each job once.
    assert_eq!(api.count("DescribeClusters"), 3);
    assert_eq!(api.count("DescribeJobs"), 3);
    let looked: Vec<String> = api
        .calls()
        .iter()
        .filter(|(a, _)| a == "DescribeJobs")
        .flat_map(|(_, p)| indexed_values(p, "jobs"))
        .collect();
    assert_eq!(looked.len(), 30);
    assert_eq!(looked.iter().collect::<HashSet<_>>().len(), 30);
}
