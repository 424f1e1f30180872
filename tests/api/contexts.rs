//! Schema contexts as Confluent has them: `:.ctx:subject` qualified subjects with ids of
//! their own context, `GET /contexts` and `DELETE /contexts/{ctx}`, `/contexts/{ctx}/…`
//! URLs, `?subject=` choosing the context of `GET /schemas/ids/{id}`, configs and modes
//! per context (`:.ctx:`, the default context `:.:`, `:.__GLOBAL:`), references resolved in
//! the referrer's context, and subject listings across contexts.

use reqwest::{Method, StatusCode};
use serde_json::json;
use warden_testkit::spawn_app;

use crate::record;

#[tokio::test]
async fn each_context_has_its_own_ids() {
    let app = spawn_app().await;
    let a = record("A", r#"[{"name":"a","type":"int"}]"#);
    let b = record("B", r#"[{"name":"b","type":"int"}]"#);
    assert_eq!(app.register_ok("s", &a).await, 1);
    // The same text in a context is a schema of that context, with its own id 1.
    assert_eq!(app.register_ok(":.ctx:s", &b).await, 1);
    assert_eq!(app.register_ok(":.ctx:t", &a).await, 2);
    assert_eq!(app.register_ok("t", &b).await, 2);
    // By id: the default context unless `subject` names another.
    let r = app.get("/schemas/ids/1").await;
    assert_eq!(
        r.body["schema"].as_str().unwrap(),
        app.version("s", "1").await.body["schema"]
    );
    let r = app.get("/schemas/ids/1?subject=:.ctx:s").await;
    assert_eq!(
        r.body["schema"],
        app.version(":.ctx:s", "1").await.body["schema"]
    );
    assert_eq!(r.body["subject"], ":.ctx:s");
    let r = app.get("/schemas/ids/1?subject=:.ctx:").await;
    assert_eq!(
        r.body["schema"],
        app.version(":.ctx:s", "1").await.body["schema"]
    );
    // An id the context does not have, and a context never used, are 40403.
    assert_eq!(
        app.get("/schemas/ids/3?subject=:.ctx:s").await.error_code(),
        40403
    );
    assert_eq!(
        app.get("/schemas/ids/1?subject=:.none:s")
            .await
            .error_code(),
        40403
    );
    // A subject of the default context without the id finds it in the context that has it
    // under that name (Confluent's getSchemaKeyUsingContexts).
    app.register_ok(":.ctx:only", &record("C", "[]")).await;
    let r = app.get("/schemas/ids/3?subject=only").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["subject"], ":.ctx:only");
    // Versions of an id are its context's.
    assert_eq!(
        app.get("/schemas/ids/2/versions").await.body,
        json!([{"subject": "t", "version": 1}])
    );
}

#[tokio::test]
async fn contexts_are_listed_until_deleted_and_only_empty_ones_can_be() {
    let app = spawn_app().await;
    assert_eq!(app.get("/contexts").await.body, json!(["."]));
    app.register_ok(":.b:s", &record("A", "[]")).await;
    app.register_ok(":.a:s", &record("A", "[]")).await;
    assert_eq!(app.get("/contexts").await.body, json!([".", ".a", ".b"]));
    assert_eq!(
        app.get("/contexts?offset=1&limit=1").await.body,
        json!([".a"])
    );
    assert_eq!(
        app.get("/contexts?contextPrefix=.b").await.body,
        json!([".b"])
    );
    let r = app.delete("/contexts/.a").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.error_code(), 42211);
    assert_eq!(
        r.body["message"],
        "The specified context ':.a:' is not empty."
    );
    // Soft-deleted subjects still count; with them gone the context can be deleted.
    app.delete("/subjects/:.a:s").await;
    assert_eq!(app.delete("/contexts/:.a:").await.error_code(), 42211);
    app.delete("/subjects/:.a:s?permanent=true").await;
    // A context with no subject left is still listed until it is deleted.
    assert_eq!(app.get("/contexts").await.body, json!([".", ".a", ".b"]));
    let r = app.delete("/contexts/.a").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(app.get("/contexts").await.body, json!([".", ".b"]));
    // Never used: gone already. A colon inside a name is 400.
    assert_eq!(
        app.delete("/contexts/.nope").await.status,
        StatusCode::NO_CONTENT
    );
    let r = app.delete("/contexts/.a:b").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "Context name '.a:b' cannot contain a colon"
    );
}

#[tokio::test]
async fn context_urls_are_the_urls_of_qualified_subjects() {
    let app = spawn_app().await;
    let a = record("A", r#"[{"name":"a","type":"int"}]"#);
    let r = app
        .request(
            Method::POST,
            "/contexts/.ctx/subjects/s/versions",
            Some(&json!({ "schema": a })),
        )
        .await;
    assert_eq!(r.body["id"], 1, "{}", r.text);
    assert_eq!(app.get("/subjects").await.body, json!([":.ctx:s"]));
    assert_eq!(
        app.get("/contexts/.ctx/subjects").await.body,
        json!([":.ctx:s"])
    );
    assert_eq!(
        app.get("/contexts/.ctx/subjects/s/versions/1").await.body["subject"],
        ":.ctx:s"
    );
    assert_eq!(
        app.get("/contexts/.ctx/schemas/ids/1").await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/contexts/.ctx/schemas")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        app.get("/schemas").await.body,
        json!([]),
        "GET /schemas is the default context's"
    );
    // The context's config is the scope `:.ctx:`.
    let r = app
        .request(
            Method::PUT,
            "/contexts/.ctx/config",
            Some(&json!({"compatibility": "FULL"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        app.get("/config/:.ctx:").await.body["compatibilityLevel"],
        "FULL"
    );
    let r = app
        .request(
            Method::POST,
            "/contexts/.ctx/compatibility/subjects/s/versions/latest",
            Some(&json!({ "schema": record("A", r#"[{"name":"b","type":"int"}]"#) })),
        )
        .await;
    assert_eq!(r.body["is_compatible"], false, "{}", r.text);
}

#[tokio::test]
async fn configs_and_modes_fall_back_through_the_context_and_global_scopes() {
    let app = spawn_app().await;
    let a = record("A", r#"[{"name":"a","type":"int"}]"#);
    let b = record("A", r#"[{"name":"b","type":"int"}]"#);
    app.register_ok("s", &a).await;
    app.register_ok(":.ctx:s", &a).await;
    // The registry-wide config is the default context's: a context keeps BACKWARD.
    app.set_level(None, "NONE").await;
    assert_eq!(app.register("s", &b).await.status, StatusCode::OK);
    assert_eq!(
        app.register(":.ctx:s", &b).await.status,
        StatusCode::CONFLICT
    );
    // `:.__GLOBAL:` applies to every context without a config of its own.
    app.set_level(Some(":.__GLOBAL:"), "NONE").await;
    assert_eq!(app.register(":.ctx:s", &b).await.status, StatusCode::OK);
    assert_eq!(
        app.get("/config/:.ctx:s?defaultToGlobal=true").await.body["compatibilityLevel"],
        "NONE"
    );
    app.set_level(Some(":.ctx:"), "FULL").await;
    assert_eq!(
        app.get("/config/:.ctx:s?defaultToGlobal=true").await.body["compatibilityLevel"],
        "FULL"
    );
    // The default context `:.:` is the registry-wide scope.
    app.set_level(Some(":.:"), "FORWARD").await;
    assert_eq!(
        app.get("/config").await.body["compatibilityLevel"],
        "FORWARD"
    );
    // Modes fall back alike: a context's mode holds its subjects only.
    app.set_mode(Some(":.ctx:"), "READONLY", false).await;
    let r = app.register(":.ctx:t", &a).await;
    assert_eq!(r.error_code(), 42205, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "Subject :.ctx:t in context :.ctx: is in read-only mode"
    );
    assert_eq!(app.register("t", &a).await.status, StatusCode::OK);
    assert_eq!(
        app.get("/mode/:.ctx:t?defaultToGlobal=true").await.body["mode"],
        "READONLY"
    );
    app.set_mode(Some(":.__GLOBAL:"), "READONLY", false).await;
    assert_eq!(app.register("u", &a).await.error_code(), 42205);
}

#[tokio::test]
async fn references_resolve_in_the_referrers_context() {
    let app = spawn_app().await;
    app.set_level(Some(":.__GLOBAL:"), "NONE").await;
    let inner = record("Inner", r#"[{"name":"a","type":"int"}]"#);
    let other = record("Inner", r#"[{"name":"z","type":"string"}]"#);
    app.register_ok("inner", &other).await;
    app.register_ok(":.ctx:inner", &inner).await;
    let outer = record("Outer", r#"[{"name":"i","type":"com.acme.Inner"}]"#);
    let refs = json!([{"name": "com.acme.Inner", "subject": "inner", "version": 1}]);
    let r = app
        .register_body(":.ctx:outer", &json!({"schema": outer, "references": refs}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!(id, 2);
    // Kept as given; the referenced version is the context's.
    let v = app.version(":.ctx:outer", "1").await;
    assert_eq!(v.body["references"][0]["subject"], "inner");
    assert_eq!(
        app.get("/subjects/:.ctx:inner/versions/1/referencedby")
            .await
            .body,
        json!([2])
    );
    assert_eq!(
        app.get("/subjects/inner/versions/1/referencedby")
            .await
            .body,
        json!([])
    );
    assert_eq!(
        app.delete("/subjects/:.ctx:inner/versions/1")
            .await
            .error_code(),
        42206
    );
    // The default context's `inner` stays free to delete.
    assert_eq!(
        app.delete("/subjects/inner/versions/1").await.status,
        StatusCode::OK
    );
    // A lookup in the context finds the schema with its references.
    let r = app
        .request(
            Method::POST,
            "/subjects/:.ctx:outer",
            Some(&json!({"schema": outer, "references": refs})),
        )
        .await;
    assert_eq!(r.body["id"], 2, "{}", r.text);
}

#[tokio::test]
async fn subjects_are_listed_across_contexts_in_confluents_order() {
    let app = spawn_app().await;
    for s in [":.b:x", "z", ":.a:y", "A"] {
        app.register_ok(s, &record("R", "[]")).await;
    }
    assert_eq!(
        app.get("/subjects").await.body,
        json!(["A", "z", ":.a:y", ":.b:x"])
    );
    assert_eq!(
        app.get("/subjects?subjectPrefix=").await.body,
        json!(["A", "z"])
    );
    assert_eq!(
        app.get("/subjects?subjectPrefix=:.a:").await.body,
        json!([":.a:y"])
    );
    assert_eq!(
        app.get("/subjects?subjectPrefix=:*:x").await.body,
        json!([":.b:x"])
    );
    let all = app.get("/schemas?subjectPrefix=:*:").await;
    assert_eq!(all.body.as_array().unwrap().len(), 4, "{}", all.text);
    assert_eq!(app.get("/schemas").await.body.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn reference_format_qualified_names_reference_subjects_with_their_context() {
    let app = spawn_app().await;
    app.register_ok(":.ctx:inner", &record("Inner", "[]")).await;
    let outer = record("Outer", r#"[{"name":"i","type":"com.acme.Inner"}]"#);
    let refs = json!([{"name": "com.acme.Inner", "subject": "inner", "version": 1}]);
    let r = app
        .register_body(":.ctx:outer", &json!({"schema": outer, "references": refs}))
        .await;
    assert_eq!(r.body["id"], 2, "{}", r.text);
    for path in [
        "/subjects/:.ctx:outer/versions/1?referenceFormat=qualified",
        "/schemas/ids/2?subject=:.ctx:outer&referenceFormat=QUALIFIED",
    ] {
        assert_eq!(
            app.get(path).await.body["references"][0]["subject"],
            ":.ctx:inner",
            "{path}"
        );
    }
    // Without it, as registered.
    assert_eq!(
        app.get("/schemas/ids/2?subject=:.ctx:outer").await.body["references"][0]["subject"],
        "inner"
    );
}

#[tokio::test]
async fn a_subject_named_in_the_default_context_is_the_plain_subject() {
    let app = spawn_app().await;
    let id = app.register_ok(":.:orders", &record("R", "[]")).await;
    assert_eq!(app.get("/subjects").await.body, json!(["orders"]));
    assert_eq!(app.version("orders", "1").await.body["id"], id);
    assert_eq!(
        app.version(":.:orders", "1").await.body["subject"],
        "orders"
    );
}

#[tokio::test]
async fn subject_chooses_the_context_of_the_subjects_and_versions_of_an_id() {
    // Confluent's `listVersionsForId` (and `listSubjectsForId`) read the id in the context
    // `getSchemaKeyUsingContexts` chooses, as `GET /schemas/ids/{id}` does.
    let app = spawn_app().await;
    let a = record("A", r#"[{"name":"a","type":"int"}]"#);
    let b = record("B", r#"[{"name":"b","type":"int"}]"#);
    assert_eq!(app.register_ok("s", &a).await, 1);
    assert_eq!(app.register_ok(":.ctx:t", &b).await, 1);
    assert_eq!(app.register_ok(":.ctx:u", &b).await, 1);
    assert_eq!(app.get("/schemas/ids/1/subjects").await.body, json!(["s"]));
    for subject in [":.ctx:t", ":.ctx:", ":.ctx:other"] {
        let r = app
            .get(&format!("/schemas/ids/1/subjects?subject={subject}"))
            .await;
        assert_eq!(r.body, json!([":.ctx:t", ":.ctx:u"]), "{subject}");
        let r = app
            .get(&format!("/schemas/ids/1/versions?subject={subject}"))
            .await;
        assert_eq!(
            r.body,
            json!([{"subject": ":.ctx:t", "version": 1}, {"subject": ":.ctx:u", "version": 1}]),
            "{subject}"
        );
    }
    // A subject of the default context without the id finds the context that has it.
    assert_eq!(app.register_ok(":.ctx:only", &record("C", "[]")).await, 2);
    assert_eq!(
        app.get("/schemas/ids/2/subjects?subject=only").await.body,
        json!([":.ctx:only"])
    );
    // `deleted`, `offset` and `limit` apply within the context.
    assert_eq!(app.delete("/subjects/:.ctx:u").await.status, StatusCode::OK);
    assert_eq!(
        app.get("/schemas/ids/1/subjects?subject=:.ctx:").await.body,
        json!([":.ctx:t"])
    );
    assert_eq!(
        app.get("/schemas/ids/1/versions?subject=:.ctx:&deleted=true&offset=1")
            .await
            .body,
        json!([{"subject": ":.ctx:u", "version": 1}])
    );
    // An id the context does not have, and a context never used, are 40403.
    for path in [
        "/schemas/ids/9/subjects?subject=:.ctx:t",
        "/schemas/ids/1/versions?subject=:.none:s",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.error_code(), 40403, "{path}: {}", r.text);
    }
}
