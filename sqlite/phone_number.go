package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// phoneNumberSelect reads a held number with its inventory row and a summary
// of its primary endpoint (all NULL when it has none), in the order of
// switchboard.PhoneNumberScan.
const phoneNumberSelect = `SELECT ` + phoneNumberColumns + ` FROM ` + phoneNumberFrom

const phoneNumberColumns = `p.id, p.organization_id, p.inventory_id, i.number, i.country, i.type,
	p.status, p.endpoint_id, p.fallback_endpoint_id, p.allow_inbound, p.allow_outbound,
	p.created_at, p.updated_at,
	e.id, e.name, e.type, json_extract(e.provider_config, '$.provider'), e.status, p.trunk_id,
	p.sip_username`

const phoneNumberFrom = `phone_numbers p
	JOIN inventory_numbers i ON i.id = p.inventory_id
	LEFT JOIN endpoints e ON e.id = p.endpoint_id AND e.organization_id = p.organization_id`

// phoneNumberCountFrom counts the numbers of a list without the endpoint
// join, which adds no row.
const phoneNumberCountFrom = `phone_numbers p JOIN inventory_numbers i ON i.id = p.inventory_id`

// InsertInventory adds the numbers through one prepared statement, in one
// transaction.
func (db *Driver) InsertInventory(ctx context.Context, nums []*switchboard.InventoryNumber, ids []string, at time.Time) ([]bool, error) {
	added := make([]bool, len(nums))
	err := db.write(ctx, func(tx *txn) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO inventory_numbers (id, number, country, type, created_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (number) DO NOTHING`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i, n := range nums {
			res, err := stmt.ExecContext(ctx, ids[i], n.Number, n.Country, n.Type, micros(at))
			if err != nil {
				return fmt.Errorf("%s: %w", n.Number, err)
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			added[i] = k == 1
		}
		return nil
	})
	return added, err
}

// InsertPhoneNumber stores a held number. The UNIQUE inventory_id decides
// who holds the number, so a claim is safe even against another process
// writing the same file.
func (tx *txn) InsertPhoneNumber(ctx context.Context, pn *switchboard.PhoneNumber) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO phone_numbers
		(id, organization_id, inventory_id, status, endpoint_id, fallback_endpoint_id,
		 allow_inbound, allow_outbound, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (inventory_id) DO NOTHING`,
		pn.ID, pn.OrganizationID, pn.InventoryID, pn.Status, pn.EndpointID, pn.FallbackEndpointID,
		pn.AllowInbound, pn.AllowOutbound, micros(pn.CreatedAt), micros(pn.UpdatedAt))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// findPhoneNumbers returns the organisation's numbers with these IDs,
// ordered by ID, in one query.
func findPhoneNumbers(ctx context.Context, q querier, orgID string, ids []string) ([]*switchboard.PhoneNumber, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := q.QueryContext(ctx, phoneNumberSelect+` WHERE p.organization_id = ?
		AND p.id IN (SELECT value FROM json_each(?)) ORDER BY p.id`, orgID, idList(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return switchboard.CollectRows(rows, scanPhoneNumber)
}

// UpdatePhoneNumber stores the number's endpoints, trunk, flags and
// UpdatedAt.
func (tx *txn) UpdatePhoneNumber(ctx context.Context, pn *switchboard.PhoneNumber) error {
	_, err := tx.ExecContext(ctx, `UPDATE phone_numbers SET endpoint_id = ?, fallback_endpoint_id = ?,
		allow_inbound = ?, allow_outbound = ?, updated_at = ?, trunk_id = ?
		WHERE organization_id = ? AND id = ?`,
		pn.EndpointID, pn.FallbackEndpointID, pn.AllowInbound, pn.AllowOutbound, micros(pn.UpdatedAt), pn.TrunkID,
		pn.OrganizationID, pn.ID)
	return err
}

// DeletePhoneNumber deletes the organisation's number.
func (tx *txn) DeletePhoneNumber(ctx context.Context, orgID, id string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM phone_numbers WHERE organization_id = ? AND id = ?`, orgID, id)
	return err
}

func scanPhoneNumber(s scanner) (*switchboard.PhoneNumber, error) { return codec.ScanPhoneNumber(s) }

// SIPCredentials looks the username up through a statement prepared once
// on the reader pool: the SIP edge asks on every authenticated INVITE.
func (db *Driver) SIPCredentials(ctx context.Context, username string) (orgID, phoneNumberID, ha1md5, ha1sha256 string, err error) {
	err = db.queryRow(ctx, `SELECT organization_id, id, sip_ha1_md5, sip_ha1_sha256 FROM phone_numbers
		WHERE sip_username = ?`, username).Scan(&orgID, &phoneNumberID, &ha1md5, &ha1sha256)
	return orgID, phoneNumberID, ha1md5, ha1sha256, noRows(err)
}

// DeleteInventory deletes the number unless a phone_numbers row holds it,
// in one transaction, so a claim cannot slip in between.
func (db *Driver) DeleteInventory(ctx context.Context, number string) (string, error) {
	var holder string
	err := db.write(ctx, func(tx *txn) error {
		err := tx.QueryRowContext(ctx, `SELECT COALESCE(p.organization_id, '') FROM inventory_numbers i
			LEFT JOIN phone_numbers p ON p.inventory_id = i.id WHERE i.number = ?`, number).Scan(&holder)
		if errors.Is(err, sql.ErrNoRows) {
			return switchboard.ErrNoRows
		}
		if err != nil || holder != "" {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM inventory_numbers WHERE number = ?`, number)
		return err
	})
	return holder, err
}
