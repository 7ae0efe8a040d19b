package httpapi

import (
	"context"
	"net/http"

	"gbmall/internal/identity"
)

type apiKeyCreateInput struct {
	OrgID string `path:"id"`
	Body  struct {
		Name        string   `json:"name" maxLength:"60"`
		Permissions []string `json:"permissions" maxItems:"20"`
	}
}

type apiKeyOutput struct {
	Status int
	Body   struct {
		identity.APIKey
		Key string `json:"key" doc:"The secret, shown only now."`
	}
}

type apiKeyListOutput struct {
	Body struct {
		Items []identity.APIKey `json:"items"`
	}
}

type apiKeyRevokeInput struct {
	OrgID string `path:"id"`
	KeyID string `path:"key_id"`
}

func (a *API) apiKeyRoutes() {
	ids := a.deps.Identity
	register(a.huma, secured(op(http.MethodPost, "/organizations/{id}/api-keys", "create-api-key", "Issue an API key for a machine client (shown once)", "api-keys")),
		func(ctx context.Context, in *apiKeyCreateInput) (*apiKeyOutput, error) {
			perms := make([]identity.Permission, len(in.Body.Permissions))
			for i, p := range in.Body.Permissions {
				perms[i] = identity.Permission(p)
			}
			k, secret, err := ids.CreateAPIKey(ctx, in.OrgID, in.Body.Name, perms)
			if err != nil {
				return nil, err
			}
			out := &apiKeyOutput{Status: http.StatusCreated}
			out.Body.APIKey, out.Body.Key = *k, secret
			return out, nil
		})
	register(a.huma, secured(op(http.MethodGet, "/organizations/{id}/api-keys", "list-api-keys", "List an organisation's API keys", "api-keys")),
		func(ctx context.Context, in *struct {
			OrgID string `path:"id"`
		}) (*apiKeyListOutput, error) {
			keys, err := ids.ListAPIKeys(ctx, in.OrgID)
			if err != nil {
				return nil, err
			}
			out := &apiKeyListOutput{}
			out.Body.Items = keys
			return out, nil
		})
	register(a.huma, secured(op(http.MethodPost, "/organizations/{id}/api-keys/{key_id}/revoke", "revoke-api-key", "Revoke an API key at once", "api-keys")),
		func(ctx context.Context, in *apiKeyRevokeInput) (*emptyOutput, error) {
			if err := ids.RevokeAPIKey(ctx, in.OrgID, in.KeyID); err != nil {
				return nil, err
			}
			return &emptyOutput{Status: http.StatusNoContent}, nil
		})
}
