package batchgate

import (
	"context"
	"time"
)

// User is a LiteLLM internal user: keys with its UserID share its models and budget.
type User struct {
	UserID    string
	UserEmail string
	UserAlias string
	Models    []string // empty means all
	Budget
	Metadata  map[string]any
	CreatedAt time.Time
	UpdatedAt time.Time
}

// UserStore keeps internal users; it is part of Store.
type UserStore interface {
	// CreateUser stores u. It returns ECONFLICT if a user with u.UserID
	// exists.
	CreateUser(ctx context.Context, u *User) error
	// FindUserByID returns the user with the given id. It returns ENOTFOUND
	// if the user does not exist.
	FindUserByID(ctx context.Context, id string) (*User, error)
	// FindUsers returns every user, newest first.
	FindUsers(ctx context.Context) ([]*User, error)
	// UpdateUser replaces the user with id u.UserID. It returns ENOTFOUND
	// if the user does not exist. UserID, CreatedAt and Spend never change
	// (RecordSpend and ResetBudgets own Spend); BudgetResetAt is written
	// only with a new BudgetDuration.
	UpdateUser(ctx context.Context, u *User) error
}
