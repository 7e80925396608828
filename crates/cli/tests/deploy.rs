//! The deployment files (`Dockerfile`, `deploy/kubernetes/`) checked against the real binary:
//! every worker of the Indexed Job, its command line expanded as Kubernetes would and its config
//! mounted from the ConfigMap, runs `audit --dry-run` and takes its own shard of the config's
//! sites in the Job's round, the database from the Secret; the image's default command runs; the
//! names that tie the files together (the Secret, the mount, the uid) agree. Docker and a cluster
//! are not available to the tests; what they would read and run is.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use yaml_rust2::{Yaml, YamlLoader};

use crate::support::{BIN, stderr, stdout};

/// Where the worker finds the history database's URL (the binary's `--db` from the environment).
const DB_ENV: &str = "COOKIE_AUDIT_DB";

fn repo_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

fn read(relative: &str) -> String {
    let path = repo_file(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The one YAML document of a manifest.
fn manifest(relative: &str) -> Yaml {
    let mut docs = YamlLoader::load_from_str(&read(relative))
        .unwrap_or_else(|e| panic!("{relative} is not YAML: {e}"));
    assert_eq!(docs.len(), 1, "{relative}: one document expected");
    docs.remove(0)
}

fn text<'a>(yaml: &'a Yaml, what: &str) -> &'a str {
    yaml.as_str()
        .unwrap_or_else(|| panic!("{what}: a string expected, found {yaml:?}"))
}

fn number(yaml: &Yaml, what: &str) -> i64 {
    yaml.as_i64()
        .unwrap_or_else(|| panic!("{what}: a number expected, found {yaml:?}"))
}

fn list<'a>(yaml: &'a Yaml, what: &str) -> &'a [Yaml] {
    yaml.as_vec()
        .unwrap_or_else(|| panic!("{what}: a list expected, found {yaml:?}"))
}

/// The item of `items` whose `name` is `name`.
fn named<'a>(items: &'a [Yaml], name: &str) -> &'a Yaml {
    items
        .iter()
        .find(|item| item["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("nothing named {name}"))
}

/// Expands `$(NAME)` in a container argument as the kubelet does, from the container's
/// environment; a reference to a variable that is not defined is a mistake here (Kubernetes
/// would pass it on literally).
fn expand(arg: &str, env: &HashMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = arg;
    while let Some(start) = rest.find("$(") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find(')')
            .unwrap_or_else(|| panic!("unclosed $( in {arg}"));
        let name = &after[..end];
        let value = env.get(name).unwrap_or_else(|| {
            panic!("{arg} refers to ${name}, which the container does not define")
        });
        out.push_str(value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// What the worker's environment holds in pod `index` of a Job named `job`: each variable the
/// container defines, with a value as Kubernetes would fill it in.
fn pod_env(container: &Yaml, index: i64, job: &str) -> HashMap<String, String> {
    let mut env = HashMap::new();
    // The Job controller sets it in every pod of an Indexed Job.
    env.insert("JOB_COMPLETION_INDEX".to_string(), index.to_string());
    for var in list(&container["env"], "env") {
        let name = text(&var["name"], "env name").to_string();
        let value = if let Some(value) = var["value"].as_str() {
            value.to_string()
        } else if let Some(path) = var["valueFrom"]["fieldRef"]["fieldPath"].as_str() {
            match path {
                "metadata.annotations['batch.kubernetes.io/job-completion-index']" => {
                    index.to_string()
                }
                "metadata.labels['batch.kubernetes.io/job-name']" => job.to_string(),
                other => panic!("{name}: a field this test does not know: {other}"),
            }
        } else {
            // From a Secret: a value the command line must not need.
            continue;
        };
        env.insert(name, value);
    }
    env
}

/// The Job of the CronJob, its worker container and that container's arguments.
struct Worker<'a> {
    job: &'a Yaml,
    pod: &'a Yaml,
    container: &'a Yaml,
    args: Vec<&'a str>,
}

fn worker(cronjob: &Yaml) -> Worker<'_> {
    let job = &cronjob["spec"]["jobTemplate"]["spec"];
    let pod = &job["template"]["spec"];
    let container = named(list(&pod["containers"], "containers"), "worker");
    let args = list(&container["args"], "args")
        .iter()
        .map(|arg| text(arg, "arg"))
        .collect();
    Worker {
        job,
        pod,
        container,
        args,
    }
}

#[test]
fn every_worker_of_the_cronjob_runs_with_the_binary_and_takes_its_own_shard() {
    let cronjob = manifest("deploy/kubernetes/cronjob.yaml");
    let Worker {
        job,
        pod,
        container,
        args,
    } = worker(&cronjob);
    assert_eq!(text(&job["completionMode"], "completionMode"), "Indexed");
    // One shard per completion index; fewer pods at once than shards is fine (the rest start as
    // earlier ones finish), more would leave pods without a shard.
    let workers = number(&job["completions"], "completions");
    let parallelism = number(&job["parallelism"], "parallelism");
    assert!(
        (2..=workers).contains(&parallelism),
        "parallelism {parallelism} of {workers} shards: a scale-out example runs 2 or more at once, and no more than there are shards"
    );
    // Required by backoffLimitPerIndex, and what makes a failed worker a new pod, same index.
    assert_eq!(text(&pod["restartPolicy"], "restartPolicy"), "Never");
    assert!(
        !args.contains(&"--db"),
        "the database URL (with its password) comes from ${DB_ENV}, never the command line"
    );
    let mounted = mount_config(pod, container, &args);
    let db_url = database_secret(container);

    // A Job a CronJob starts is named `<cronjob>-<scheduled time in minutes>`.
    let job_name = format!("{}-29412120", text(&cronjob["metadata"]["name"], "name"));
    let mut audited: Vec<String> = Vec::new();
    let mut in_config = None;
    for index in 0..workers {
        let env = pod_env(container, index, &job_name);
        let argv: Vec<String> = args
            .iter()
            .map(|arg| mounted.place(&expand(arg, &env)))
            .chain(["--dry-run".to_string()])
            .collect();
        let output = Command::new(BIN)
            .args(&argv)
            .env(DB_ENV, &db_url)
            .env_remove("RUST_LOG")
            .output()
            .expect("the binary runs");
        assert!(
            output.status.success(),
            "worker {index}: {argv:?} is refused: {}",
            stderr(&output)
        );
        let plan: Value = serde_json::from_str(&stdout(&output))
            .unwrap_or_else(|e| panic!("worker {index}: the args ask for JSON ({e})"));
        assert_eq!(plan["shard"], format!("{index}/{workers}").as_str());
        // Every worker, and every retry of it, in the one round of the Job.
        assert_eq!(plan["round"], job_name.as_str());
        let db = plan["db"].as_str().expect("db");
        assert!(
            db.starts_with("postgres://") && !db.contains("CHANGE-ME"),
            "the Secret's database, its password never shown: {db}"
        );
        let sites = plan["sites"].as_array().expect("sites");
        audited.extend(sites.iter().map(|s| s["id"].as_str().unwrap().to_string()));
        let total = sites.len() as u64 + plan["other_shards"].as_u64().unwrap();
        assert_eq!(*in_config.get_or_insert(total), total);
    }
    let distinct: BTreeSet<&String> = audited.iter().collect();
    assert!(!audited.is_empty(), "the example config lists sites");
    assert_eq!(distinct.len(), audited.len(), "no site in two shards");
    assert_eq!(
        Some(audited.len() as u64),
        in_config,
        "every site in a shard"
    );
}

/// The ConfigMap, mounted: its files written under a temporary directory that stands for the
/// volume's mount path.
struct MountedConfig {
    mount_path: String,
    dir: tempfile::TempDir,
}

impl MountedConfig {
    /// An argument as the container sees it, with a path under the mount moved to the stand-in.
    fn place(&self, arg: &str) -> String {
        match arg.strip_prefix(&self.mount_path) {
            Some(rest) => format!("{}{rest}", self.dir.path().display()),
            None => arg.to_string(),
        }
    }
}

/// `--config` is under the mount of the ConfigMap's volume, and the ConfigMap has that file.
fn mount_config(pod: &Yaml, container: &Yaml, args: &[&str]) -> MountedConfig {
    let config = args
        .iter()
        .skip_while(|arg| **arg != "--config")
        .nth(1)
        .expect("the worker passes --config");
    let mount = named(list(&container["volumeMounts"], "volumeMounts"), "config");
    let mount_path = text(&mount["mountPath"], "mountPath");
    let key = Path::new(config)
        .strip_prefix(mount_path)
        .unwrap_or_else(|_| panic!("--config {config} is not under {mount_path}"));
    let volume = named(list(&pod["volumes"], "volumes"), "config");
    let map_name = text(&volume["configMap"]["name"], "configMap name");
    let map = manifest("deploy/kubernetes/configmap.yaml");
    assert_eq!(text(&map["metadata"]["name"], "ConfigMap name"), map_name);
    let key = key.to_str().expect("a UTF-8 key");
    let toml = text(&map["data"][key], "the ConfigMap's audit config");
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join(key), toml).expect("write the mounted config");
    MountedConfig {
        mount_path: mount_path.to_string(),
        dir,
    }
}

/// `COOKIE_AUDIT_DB` comes from the Secret the example defines, by a key it has: its URL.
fn database_secret(container: &Yaml) -> String {
    let db = named(list(&container["env"], "env"), DB_ENV);
    let reference = &db["valueFrom"]["secretKeyRef"];
    let secret = manifest("deploy/kubernetes/secret.example.yaml");
    assert_eq!(
        text(&reference["name"], "secret name"),
        text(&secret["metadata"]["name"], "Secret name")
    );
    let key = text(&reference["key"], "secret key");
    let url = text(&secret["stringData"][key], "the Secret's URL");
    assert!(
        url.starts_with("postgres://"),
        "the shared history is PostgreSQL: {url}"
    );
    url.to_string()
}

#[test]
fn the_kustomization_lists_files_that_exist_and_leaves_the_secret_out() {
    let kustomization = manifest("deploy/kubernetes/kustomization.yaml");
    let resources: Vec<&str> = list(&kustomization["resources"], "resources")
        .iter()
        .map(|resource| text(resource, "resource"))
        .collect();
    for resource in &resources {
        let path = repo_file(&format!("deploy/kubernetes/{resource}"));
        assert!(path.is_file(), "{} is missing", path.display());
    }
    assert!(resources.contains(&"cronjob.yaml"));
    assert!(
        !resources.iter().any(|r| r.contains("secret")),
        "the example Secret (a placeholder password) is never applied"
    );
}

/// The image's ENTRYPOINT runs the binary it copies in, as the non-root uid the pod requires,
/// and its default arguments parse.
#[test]
fn the_dockerfile_runs_the_binary_it_installs_as_the_pods_non_root_user() {
    let dockerfile = read("Dockerfile");
    let instruction = |name: &str| -> &str {
        dockerfile
            .lines()
            .filter_map(|line| line.strip_prefix(name))
            .filter_map(|rest| rest.strip_prefix(' '))
            // The last one counts, as in Docker (the final stage's).
            .next_back()
            .unwrap_or_else(|| panic!("no {name} in the Dockerfile"))
    };
    let exec_form = |name: &str| -> Vec<String> {
        serde_json::from_str(instruction(name))
            .unwrap_or_else(|e| panic!("{name} is not in exec form (a JSON array): {e}"))
    };
    let entrypoint = exec_form("ENTRYPOINT");
    let binary = entrypoint.last().expect("an entrypoint");
    let copied = instruction("COPY --from=build");
    let installed = copied.split_whitespace().last().expect("a destination");
    let env_path = ["/usr/local/bin", "/usr/bin", "/bin"];
    assert!(
        Path::new(installed).file_name().and_then(|n| n.to_str()) == Some(binary.as_str())
            && env_path
                .iter()
                .any(|dir| Path::new(installed).parent() == Some(Path::new(dir))),
        "ENTRYPOINT runs {binary}, but the binary is copied to {installed}"
    );
    let cmd = exec_form("CMD");
    let output = Command::new(BIN)
        .args(&cmd)
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success() && stdout(&output).contains("Usage:"),
        "the image's default command {cmd:?} fails: {}",
        stderr(&output)
    );

    let user = instruction("USER");
    let uid: u32 = user
        .split(':')
        .next()
        .and_then(|uid| uid.parse().ok())
        .unwrap_or_else(|| panic!("USER {user}: a numeric uid, so runAsNonRoot can check it"));
    assert_ne!(uid, 0, "the image runs as a non-root user");
    let cronjob = manifest("deploy/kubernetes/cronjob.yaml");
    let security = &cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["securityContext"];
    assert_eq!(security["runAsNonRoot"].as_bool(), Some(true));
    assert_eq!(number(&security["runAsUser"], "runAsUser"), i64::from(uid));
}
