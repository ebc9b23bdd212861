//! A cluster's job history, newest job first, whichever order the server lists in.
//!
//! DescribeClusterJobs documents no order (the SDK sends `reverse=1`, which a server may
//! ignore), so `History` finds out which end of the listing holds the newest jobs and walks the
//! history newest to oldest. The SSL reading walks it (`ssl`); custom-service submissions look
//! at its newest jobs (`newest_cluster_jobs`).

use std::cmp::Reverse;
use std::collections::HashSet;

use super::actions::{JobsPage, describe_cluster_jobs_page};
use super::call::CallPath;
use super::error::Error;
use super::model::{Job, unusable};

pub(crate) const JOBS: &str = "DescribeClusterJobs";
/// DescribeClusterJobs' documented maximum `limit`.
pub(crate) const MAX_PAGE: u32 = 100;

/// The direction a listing runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    NewestFirst,
    OldestFirst,
}

/// How jobs' times run as listed: `Ok(None)` when they are all equal (or fewer than two),
/// `Err(())` when they go both ways (not sorted by time at all).
fn listed_order(times: &[i64]) -> Result<Option<Order>, ()> {
    let down = times.windows(2).any(|w| w[0] > w[1]);
    let up = times.windows(2).any(|w| w[0] < w[1]);
    match (down, up) {
        (false, false) => Ok(None),
        (true, false) => Ok(Some(Order::NewestFirst)),
        (false, true) => Ok(Some(Order::OldestFirst)),
        (true, true) => Err(()),
    }
}

/// Every job's `create_time`, as listed. A job whose time cannot be read cannot be placed in
/// the history, so the answer is unusable.
fn times_of(jobs: &[Job], zone: &str) -> Result<Vec<i64>, Error> {
    jobs.iter()
        .map(|job| {
            job.created_ms().ok_or_else(|| {
                unusable(
                    JOBS,
                    zone,
                    format!("job {} has no readable create_time", job.job_id),
                )
            })
        })
        .collect()
}

/// A page newest first: turned round when listed oldest first, then sorted by `create_time`
/// (stable, so jobs of the same second keep the listing's order, read in its direction).
fn newest_first(mut jobs: Vec<Job>, order: Option<Order>) -> Vec<Job> {
    if order == Some(Order::OldestFirst) {
        jobs.reverse();
    }
    // Times were checked when the page arrived (`times_of`).
    jobs.sort_by_key(|job| Reverse(job.created_ms().unwrap_or(i64::MIN)));
    jobs
}

/// Whether the first page (offset 0) holds the whole history.
fn first_page_is_complete(first: &JobsPage, zone: &str) -> Result<bool, Error> {
    let n = first.jobs.len() as u64;
    match first.total_count {
        Some(total) if n >= total => Ok(true),
        // Fewer than asked although more exist: offsets would not mean what we think.
        Some(total) if n < u64::from(first.limit) => Err(unusable(
            JOBS,
            zone,
            format!(
                "{n} jobs at offset 0 with limit {}, although total_count is {total}",
                first.limit
            ),
        )),
        Some(_) => Ok(false),
        // No count: a page with room to spare is everything; a full one is decided (refused)
        // by `History::new`, which needs the count.
        None => Ok(n < u64::from(first.limit)),
    }
}

/// What is left to read of a history.
enum Plan {
    Done,
    /// Jobs already fetched and put newest first, handed out next; then `then`.
    InHand(Vec<Job>, Box<Plan>),
    /// The server lists newest first: read on from `offset`.
    Forward {
        offset: u64,
    },
    /// The server lists oldest first: read backwards through the unread positions
    /// `low..high`; `oldest` (the first page, positions `0..low`) comes last.
    Backward {
        low: u64,
        high: u64,
        oldest: Vec<Job>,
    },
}

/// A cluster's job history handed out newest to oldest, one page at a time, each job once.
///
/// The order is told from the first page's create_times. Newest first: read on by offset
/// (jobs created meanwhile shift the pages by a few jobs, which are then listed twice and
/// skipped, never missed). Oldest first: the newest jobs are at the end, so read backwards from
/// `total_count` (jobs created meanwhile go after it, so the offsets read do not shift). Any
/// page that contradicts the order found, or a job newer than one handed out before, makes the
/// answer unusable rather than silently misread.
pub(crate) struct History<'c> {
    api: &'c CallPath,
    zone: &'c str,
    cluster_id: &'c str,
    page: u32,
    /// None only for a single complete page whose times do not tell the order.
    pub(crate) order: Option<Order>,
    pub(crate) total: u64,
    /// DescribeClusterJobs calls made, the first included.
    pub(crate) calls: u32,
    plan: Plan,
    pub(crate) handed_out: HashSet<String>,
    /// Every job id fetched, handed out or not.
    pub(crate) fetched: HashSet<String>,
    /// The create_time of the oldest job handed out so far.
    floor: Option<i64>,
    /// `total_count` of the first answer, and how many jobs were listed again since.
    first_total: u64,
    repeats: u64,
}

impl<'c> History<'c> {
    /// Starts from the first page (offset 0, limit `page`), fetched by the caller.
    pub(crate) fn new(
        api: &'c CallPath,
        zone: &'c str,
        cluster_id: &'c str,
        page: u32,
        first: JobsPage,
    ) -> Result<Self, Error> {
        let times = times_of(&first.jobs, zone)?;
        let n = first.jobs.len() as u64;
        let mut history = History {
            api,
            zone,
            cluster_id,
            page,
            order: None,
            total: first.total_count.unwrap_or(n).max(n),
            calls: 1,
            plan: Plan::Done,
            handed_out: HashSet::new(),
            fetched: first.jobs.iter().map(|j| j.job_id.clone()).collect(),
            floor: None,
            first_total: first.total_count.unwrap_or(n).max(n),
            repeats: 0,
        };
        if first_page_is_complete(&first, zone)? {
            // Everything is here; the order matters only for jobs of the same second, and
            // `order` None says it is not known for those.
            history.order = listed_order(&times).ok().flatten();
            history.plan = Plan::InHand(
                newest_first(first.jobs, history.order),
                Box::new(Plan::Done),
            );
            return Ok(history);
        }
        let bad = |detail: String| Err(unusable(JOBS, zone, detail));
        let Some(total) = first.total_count else {
            return bad(format!(
                "a full page of {n} jobs without total_count: where the history ends (and, \
                 listed oldest first, where it starts) cannot be told"
            ));
        };
        let order = match listed_order(&times) {
            Ok(Some(order)) => order,
            Ok(None) => {
                return bad(format!(
                    "the order of the listing cannot be told: its first {n} jobs have the same create_time"
                ));
            }
            Err(()) => return bad("jobs not listed in create_time order".into()),
        };
        history.order = Some(order);
        history.total = total;
        history.plan = match order {
            Order::NewestFirst => Plan::InHand(
                newest_first(first.jobs, Some(order)),
                Box::new(Plan::Forward { offset: n }),
            ),
            Order::OldestFirst => Plan::Backward {
                low: n,
                high: total,
                oldest: newest_first(first.jobs, Some(order)),
            },
        };
        Ok(history)
    }

    pub(crate) fn is_done(&self) -> bool {
        matches!(self.plan, Plan::Done)
    }

    /// Whether handing out the next jobs takes a call.
    pub(crate) fn next_needs_call(&self) -> bool {
        match &self.plan {
            Plan::Done | Plan::InHand(..) => false,
            Plan::Forward { .. } => true,
            Plan::Backward { low, high, .. } => high > low,
        }
    }

    async fn fetch(&mut self, offset: u64, limit: u32) -> Result<JobsPage, Error> {
        self.calls += 1;
        let page =
            describe_cluster_jobs_page(self.api, self.zone, self.cluster_id, offset, limit).await?;
        self.fetched
            .extend(page.jobs.iter().map(|j| j.job_id.clone()));
        let times = times_of(&page.jobs, self.zone)?;
        match listed_order(&times) {
            Ok(None) => {}
            Ok(Some(order)) if Some(order) == self.order => {}
            _ => {
                return Err(unusable(
                    JOBS,
                    self.zone,
                    format!("the page at offset {offset} is not listed in the order of the first"),
                ));
            }
        }
        Ok(page)
    }

    /// The next jobs, newest first, each job once; empty when the history is done.
    pub(crate) async fn next(&mut self) -> Result<Vec<Job>, Error> {
        let short = |page: &JobsPage, total: u64| {
            unusable(
                JOBS,
                self.zone,
                format!(
                    "{} jobs at offset {} with limit {}, although total_count is {total}",
                    page.jobs.len(),
                    page.offset,
                    page.limit
                ),
            )
        };
        let jobs = match std::mem::replace(&mut self.plan, Plan::Done) {
            Plan::Done => Vec::new(),
            Plan::InHand(jobs, then) => {
                self.plan = *then;
                jobs
            }
            Plan::Forward { offset } => {
                let page = self.fetch(offset, self.page).await?;
                // New jobs make the count grow; the newest answer knows best.
                if let Some(total) = page.total_count {
                    self.total = total;
                }
                let n = page.jobs.len() as u64;
                if offset + n < self.total {
                    if n < u64::from(page.limit) {
                        return Err(short(&page, self.total));
                    }
                    self.plan = Plan::Forward { offset: offset + n };
                }
                newest_first(page.jobs, self.order)
            }
            Plan::Backward { low, high, oldest } => {
                if high <= low {
                    oldest
                } else {
                    let from = high.saturating_sub(u64::from(self.page)).max(low);
                    let limit = u32::try_from(high - from).unwrap_or(self.page);
                    let page = self.fetch(from, limit).await?;
                    if let Some(total) = page.total_count
                        && total < self.total
                    {
                        // Offsets counted from the oldest job shift when old jobs go.
                        return Err(unusable(
                            JOBS,
                            self.zone,
                            format!(
                                "total_count fell from {} to {total} while the history was read",
                                self.total
                            ),
                        ));
                    }
                    if page.jobs.len() as u64 != high - from {
                        return Err(short(&page, self.total));
                    }
                    self.plan = Plan::Backward {
                        low,
                        high: from,
                        oldest,
                    };
                    newest_first(page.jobs, self.order)
                }
            }
        };
        self.hand_out(jobs)
    }

    fn hand_out(&mut self, jobs: Vec<Job>) -> Result<Vec<Job>, Error> {
        let mut out = Vec::with_capacity(jobs.len());
        for job in jobs {
            // Listed again: a page shifted by a job created meanwhile (newest first, each new
            // job pushes one old job onto the next page). More repeats than new jobs mean the
            // pages overlap for another reason (an unstable order of same-second jobs, say),
            // and what overlaps on one side may be missing on the other.
            if !self.handed_out.insert(job.job_id.clone()) {
                self.repeats += 1;
                let added = self.total.saturating_sub(self.first_total);
                if self.repeats > added {
                    return Err(unusable(
                        JOBS,
                        self.zone,
                        format!(
                            "job {} listed again although {added} jobs were added meanwhile: \
                             the pages overlap, so some job may be missing",
                            job.job_id
                        ),
                    ));
                }
                continue;
            }
            let time = job.created_ms().unwrap_or(i64::MIN);
            if self.floor.is_some_and(|floor| time > floor) {
                return Err(unusable(
                    JOBS,
                    self.zone,
                    format!(
                        "job {} is listed among older jobs: the pages do not follow one order",
                        job.job_id
                    ),
                ));
            }
            self.floor = Some(time);
            out.push(job);
        }
        Ok(out)
    }
}

/// The cluster's newest `n` jobs (all of them when it has no more), read with the same order
/// logic as the SSL reading. When one page holds the whole history the jobs come as listed:
/// whoever asks only needs to know which jobs exist.
pub(crate) async fn newest_cluster_jobs(
    api: &CallPath,
    zone: &str,
    cluster_id: &str,
    n: u32,
) -> Result<Vec<Job>, Error> {
    let n = n.clamp(2, MAX_PAGE);
    let first = describe_cluster_jobs_page(api, zone, cluster_id, 0, n).await?;
    if first_page_is_complete(&first, zone)? {
        return Ok(first.jobs);
    }
    let mut history = History::new(api, zone, cluster_id, n, first)?;
    let mut jobs = Vec::new();
    while jobs.len() < n as usize && !history.is_done() {
        jobs.extend(history.next().await?);
    }
    jobs.truncate(n as usize);
    Ok(jobs)
}
