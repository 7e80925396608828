//! The deployment files (`Dockerfile`, `deploy/kubernetes/`) checked against the real binary: the
//! worker's command line parses with its argument parser once Kubernetes has expanded it for every
//! index of the Indexed Job, the config it mounts loads with the real config parser, and the
//! names that tie the files together (the Secret, the mount, the uid) agree. Docker and a cluster
//! are not available to the tests; what they would read is.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use clap::Parser;
use yaml_rust2::{Yaml, YamlLoader};

use crate::cli::{Cli, Command, DB_ENV};

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

#[test]
fn every_worker_of_the_cronjob_parses_with_the_binarys_arguments_and_gets_its_own_shard() {
    let cronjob = manifest("deploy/kubernetes/cronjob.yaml");
    let job = &cronjob["spec"]["jobTemplate"]["spec"];
    assert_eq!(text(&job["completionMode"], "completionMode"), "Indexed");
    // One shard per completion index; fewer pods at once than shards is fine (the rest start as
    // earlier ones finish), more would leave pods without a shard.
    let workers = number(&job["completions"], "completions");
    let parallelism = number(&job["parallelism"], "parallelism");
    assert!(
        (2..=workers).contains(&parallelism),
        "parallelism {parallelism} of {workers} shards: a scale-out example runs 2 or more at once, and no more than there are shards"
    );
    let pod = &job["template"]["spec"];
    // Required by backoffLimitPerIndex, and what makes a failed worker a new pod, same index.
    assert_eq!(text(&pod["restartPolicy"], "restartPolicy"), "Never");
    let container = named(list(&pod["containers"], "containers"), "worker");
    let args: Vec<&str> = list(&container["args"], "args")
        .iter()
        .map(|arg| text(arg, "arg"))
        .collect();
    assert!(
        !args.contains(&"--db"),
        "the database URL (with its password) comes from ${DB_ENV}, never the command line"
    );

    // A Job a CronJob starts is named `<cronjob>-<scheduled time in minutes>`.
    let job_name = format!("{}-29412120", text(&cronjob["metadata"]["name"], "name"));
    for index in 0..workers {
        let env = pod_env(container, index, &job_name);
        let argv: Vec<String> = std::iter::once("cookie-audit".to_string())
            .chain(args.iter().map(|arg| expand(arg, &env)))
            .collect();
        let cli = Cli::try_parse_from(&argv)
            .unwrap_or_else(|e| panic!("worker {index}: {argv:?} does not parse: {e}"));
        let Command::Audit(audit) = cli.command else {
            panic!("worker {index} does not run `audit`: {argv:?}");
        };
        let shard = audit.shard.expect("every worker audits a shard");
        assert_eq!(
            (i64::from(shard.index()), i64::from(shard.count())),
            (index, workers)
        );
        // Every worker, and every retry of it, in the one round of the Job.
        let round = audit.round.expect("workers of one Job share a round");
        assert_eq!(round.as_str(), job_name);
        check_config_mount(pod, container, &audit.config);
    }
    check_database_secret(container);
}

/// `--config` is the ConfigMap's `audit.toml`, mounted where the argument says, and the real
/// config parser reads it.
fn check_config_mount(pod: &Yaml, container: &Yaml, config: &Path) {
    let mount = named(list(&container["volumeMounts"], "volumeMounts"), "config");
    let dir = Path::new(text(&mount["mountPath"], "mountPath"));
    let key = config.strip_prefix(dir).unwrap_or_else(|_| {
        panic!(
            "--config {} is not under {}",
            config.display(),
            dir.display()
        )
    });
    let volume = named(list(&pod["volumes"], "volumes"), "config");
    let map_name = text(&volume["configMap"]["name"], "configMap name");
    let map = manifest("deploy/kubernetes/configmap.yaml");
    assert_eq!(text(&map["metadata"]["name"], "ConfigMap name"), map_name);
    let key = key.to_str().expect("a UTF-8 key");
    let toml = text(&map["data"][key], "the ConfigMap's audit config");
    let parsed = crate::audit::config::parse(toml, config, &Default::default())
        .unwrap_or_else(|e| panic!("the ConfigMap's {key} does not load: {e}"));
    assert!(!parsed.sites.is_empty(), "the example config lists sites");
}

/// `COOKIE_AUDIT_DB` comes from the Secret the example defines, by a key it has.
fn check_database_secret(container: &Yaml) {
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
    let argv: Vec<String> = std::iter::once(binary.clone())
        .chain(exec_form("CMD"))
        .collect();
    match Cli::try_parse_from(&argv) {
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelp => {}
        Err(e) => panic!("the image's default command {argv:?} is refused: {e}"),
        Ok(_) => {}
    }

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
