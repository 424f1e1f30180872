use reqwest::{Method, StatusCode};
use serde_json::json;
use warden_testkit::spawn_app;

use crate::record;

#[tokio::test]
async fn global_config_defaults_to_backward_and_can_be_changed_and_reset() {
    let app = spawn_app().await;
    assert_eq!(
        app.get("/config").await.body,
        json!({"compatibilityLevel": "BACKWARD"})
    );
    let r = app.set_level(None, "full").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, json!({"compatibility": "FULL"}));
    assert_eq!(
        app.get("/config").await.body,
        json!({"compatibilityLevel": "FULL"})
    );
    let r = app.delete("/config").await;
    assert_eq!(r.body, json!({"compatibilityLevel": "FULL"}));
    assert_eq!(
        app.get("/config").await.body,
        json!({"compatibilityLevel": "BACKWARD"})
    );
}

#[tokio::test]
async fn subject_config_is_40408_until_set_and_falls_back_with_default_to_global() {
    let app = spawn_app().await;
    app.register_ok("s", &record("R", "[]")).await;
    let r = app.get("/config/s").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error_code(), 40408);
    assert_eq!(
        app.get("/config/s?defaultToGlobal=true").await.body,
        json!({"compatibilityLevel": "BACKWARD"})
    );
    app.set_level(Some("s"), "NONE").await;
    assert_eq!(
        app.get("/config/s").await.body,
        json!({"compatibilityLevel": "NONE"})
    );
    let r = app.delete("/config/s").await;
    assert_eq!(r.body, json!({"compatibilityLevel": "NONE"}));
    assert_eq!(app.get("/config/s").await.error_code(), 40408);
    assert_eq!(app.delete("/config/s").await.error_code(), 40408);
    assert_eq!(app.delete("/config/unknown").await.error_code(), 40401);
}

/// Confluent's `PUT /config` merges the fields a body names into the scope's config and
/// answers the whole config; a body naming none of its fields (the Node client's
/// `compatibilityLevel` key, or `{}`) changes nothing.
#[tokio::test]
async fn a_config_update_merges_the_fields_it_names_and_answers_the_whole_config() {
    let app = spawn_app().await;
    app.register_ok("s", &record("R", "[]")).await;
    app.set_level(Some("s"), "FULL").await;
    let put = |path: &'static str, body: serde_json::Value| {
        let app = &app;
        async move { app.request(Method::PUT, path, Some(&body)).await }
    };
    let r = put("/config/s", json!({"normalize": true})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body, json!({"compatibility": "FULL", "normalize": true}));
    // Fields Confluent's ConfigUpdateRequest does not have are ignored.
    for body in [json!({}), json!({"compatibilityLevel": "NONE"})] {
        let r = put("/config/s", body.clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{body}: {}", r.text);
        assert_eq!(
            r.body,
            json!({"compatibility": "FULL", "normalize": true}),
            "{body}"
        );
    }
    assert_eq!(
        app.get("/config/s").await.body,
        json!({"compatibilityLevel": "FULL", "normalize": true})
    );
    // The registry-wide config as stored: no level until one is set.
    let r = put("/config", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body, json!({}));
    let r = put("/config", json!({"normalize": false})).await;
    assert_eq!(r.body, json!({"normalize": false}));
}

#[tokio::test]
async fn an_unknown_compatibility_level_is_42203() {
    let app = spawn_app().await;
    for path in ["/config", "/config/s"] {
        let r = app
            .request(
                Method::PUT,
                path,
                Some(&json!({"compatibility": "SIDEWAYS"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert_eq!(r.error_code(), 42203, "{path}");
    }
}

#[tokio::test]
async fn mode_defaults_to_readwrite_and_subject_mode_is_40409_until_set() {
    let app = spawn_app().await;
    assert_eq!(app.get("/mode").await.body, json!({"mode": "READWRITE"}));
    let r = app.get("/mode/s").await;
    assert_eq!(r.error_code(), 40409);
    assert_eq!(
        app.get("/mode/s?defaultToGlobal=true").await.body,
        json!({"mode": "READWRITE"})
    );
    assert_eq!(
        app.set_mode(Some("s"), "READONLY", false).await.body,
        json!({"mode": "READONLY"})
    );
    assert_eq!(app.get("/mode/s").await.body, json!({"mode": "READONLY"}));
    assert_eq!(
        app.delete("/mode/s").await.body,
        json!({"mode": "READONLY"})
    );
    // Confluent's `ModeResource.deleteSubjectMode`: a subject without a mode is 40401.
    let r = app.delete("/mode/s").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.body,
        json!({"error_code": 40401, "message": "Subject 's' not found."})
    );
    let r = app.set_mode(None, "SOMETIMES", false).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_code(), 42204);
}

#[tokio::test]
async fn read_only_mode_refuses_registration_and_deletes_with_42205() {
    let app = spawn_app().await;
    app.register_ok("s", &record("R", "[]")).await;
    app.set_mode(None, "READONLY", false).await;
    let r = app.register("s", &record("Q", "[]")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_code(), 42205);
    assert_eq!(app.delete("/subjects/s").await.error_code(), 42205);
    // Reads still work.
    assert_eq!(app.version("s", "1").await.status, StatusCode::OK);
    // A subject-level READWRITE overrides the global READONLY.
    app.set_mode(Some("s"), "READWRITE", false).await;
    let r = app
        .register(
            "s",
            &record("R", r#"[{"name":"a","type":"int","default":1}]"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    app.set_mode(Some("s"), "READONLY_OVERRIDE", false).await;
    assert_eq!(
        app.delete("/subjects/s/versions/1").await.error_code(),
        42205
    );
}

#[tokio::test]
async fn import_mode_over_existing_subjects_needs_force() {
    let app = spawn_app().await;
    app.register_ok("s", &record("R", "[]")).await;
    let r = app.set_mode(None, "IMPORT", false).await;
    assert_eq!(r.error_code(), 42205);
    let r = app.set_mode(None, "IMPORT", true).await;
    assert_eq!(r.body, json!({"mode": "IMPORT"}));
}

#[tokio::test]
async fn config_and_mode_take_percent_encoded_subjects_and_refuse_invalid_ones() {
    let app = spawn_app().await;
    app.set_level(Some("team/orders"), "FULL").await;
    assert_eq!(
        app.get("/config/team%2Forders").await.body,
        json!({"compatibilityLevel": "FULL"})
    );
    // `team` is another subject, without a config of its own.
    assert_eq!(app.get("/config/team").await.error_code(), 40408);
    app.set_mode(Some("team/orders"), "READONLY", false).await;
    assert_eq!(
        app.get("/mode/team%2Forders").await.body,
        json!({"mode": "READONLY"})
    );
    assert_eq!(app.get("/config/a%0Ab").await.error_code(), 42208);
    assert_eq!(app.get("/mode/a%0Ab").await.error_code(), 42208);
}

/// The modes set on `scopes` (`None` for a scope with no mode of its own).
async fn modes(app: &warden_testkit::TestApp, scopes: &[&str]) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for scope in scopes {
        let r = app.get(&format!("/mode/{scope}")).await;
        out.push(match r.status {
            StatusCode::OK => Some(r.body["mode"].as_str().unwrap().to_owned()),
            _ => {
                assert_eq!(r.error_code(), 40409, "{scope}: {}", r.text);
                None
            }
        });
    }
    out
}

#[tokio::test]
async fn a_recursive_mode_delete_of_a_context_removes_its_subjects_modes() {
    // Confluent's RestApiModeTest `testRecursiveDeleteContextMode`,
    // `testNonRecursiveDeleteContextModeDoesNotAffectSubjects` and
    // `testRecursiveDeleteDoesNotAffectOtherContexts`.
    let app = spawn_app().await;
    let scopes = [
        ":.c1:", ":.c1:a", ":.c1:b", ":.c2:", ":.c2:a", ":.c10:a", "a",
    ];
    for scope in scopes {
        app.set_mode(Some(scope), "READONLY", false).await;
    }
    let r = app.delete("/mode/:.c1:").await;
    assert_eq!(r.body, json!({"mode": "READONLY"}), "{}", r.text);
    let set = Some("READONLY".to_owned());
    assert_eq!(
        modes(&app, &scopes).await,
        [
            None,
            set.clone(),
            set.clone(),
            set.clone(),
            set.clone(),
            set.clone(),
            set.clone()
        ]
    );
    app.set_mode(Some(":.c1:"), "IMPORT", false).await;
    let r = app.delete("/mode/:.c1:?recursive=true").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, json!({"mode": "IMPORT"}), "{}", r.text);
    assert_eq!(
        modes(&app, &scopes).await,
        [
            None,
            None,
            None,
            set.clone(),
            set.clone(),
            set.clone(),
            set.clone()
        ]
    );
    // A context without a mode of its own: `{}`, and its subjects' modes are removed.
    let r = app.delete("/mode/:.c2:").await;
    assert_eq!(r.body, json!({"mode": "READONLY"}), "{}", r.text);
    let r = app.delete("/mode/:.c2:?recursive=true").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, json!({}), "{}", r.text);
    assert_eq!(
        modes(&app, &scopes).await,
        [None, None, None, None, None, set.clone(), set.clone()]
    );
    // Without `recursive` the same request is 40401.
    let r = app.delete("/mode/:.c2:").await;
    assert_eq!(
        r.body,
        json!({"error_code": 40401, "message": "Subject ':.c2:' not found."})
    );
    // On a subject, `recursive` removes that subject's mode only, and finds none quietly.
    app.set_mode(Some(":.c10:b"), "READONLY", false).await;
    let r = app.delete("/mode/:.c10:a?recursive=true").await;
    assert_eq!(r.body, json!({"mode": "READONLY"}), "{}", r.text);
    assert_eq!(
        app.delete("/mode/:.c10:a?recursive=true").await.body,
        json!({})
    );
    assert_eq!(modes(&app, &[":.c10:b"]).await, [set]);
}

#[tokio::test]
async fn a_recursive_delete_of_the_registry_wide_mode_removes_every_mode() {
    // Confluent's `testRecursiveDeleteGlobalMode`; the default context's prefix Confluent
    // matches mode keys with is empty, so other contexts' modes go too.
    let app = spawn_app().await;
    let scopes = ["a", "b", ":.c:", ":.c:a", ":.__GLOBAL:"];
    app.set_mode(None, "READONLY", false).await;
    for scope in scopes {
        app.set_mode(Some(scope), "READONLY", false).await;
    }
    // Without `recursive`, the registry-wide mode only.
    assert_eq!(app.delete("/mode").await.body, json!({"mode": "READONLY"}));
    let set = Some("READONLY".to_owned());
    assert_eq!(modes(&app, &scopes).await, vec![set.clone(); 5]);
    // Nothing set: READWRITE, as Confluent's default at the top level.
    let r = app.delete("/mode?recursive=true").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, json!({"mode": "READWRITE"}), "{}", r.text);
    assert_eq!(modes(&app, &scopes).await, vec![None; 5]);
    assert_eq!(app.get("/mode").await.body, json!({"mode": "READWRITE"}));
    // `:.__GLOBAL:` is a top-level scope too: READWRITE when it had none.
    assert_eq!(
        app.delete("/mode/:.__GLOBAL:").await.body,
        json!({"mode": "READWRITE"})
    );
}
