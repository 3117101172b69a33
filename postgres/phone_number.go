package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-voice/switchboard"
)

// phoneNumberFrom joins a held number with its inventory row and its
// primary endpoint (all NULL when it has none), for phoneNumberColumns.
const phoneNumberFrom = `phone_numbers p
	JOIN inventory_numbers i ON i.id = p.inventory_id
	LEFT JOIN endpoints e ON e.id = p.endpoint_id AND e.organization_id = p.organization_id`

// phoneNumberColumns are in the order of switchboard.PhoneNumberScan.
const phoneNumberColumns = `p.id, p.organization_id, p.inventory_id, i.number, i.country, i.type,
	p.status, p.endpoint_id, p.fallback_endpoint_id, p.allow_inbound, p.allow_outbound,
	p.created_at, p.updated_at,
	e.id, e.name, e.type, e.provider_config ->> 'provider', e.status, p.trunk_id,
	p.sip_username`

const phoneNumberSelect = `SELECT ` + phoneNumberColumns + ` FROM ` + phoneNumberFrom

// InsertInventory adds the numbers in one statement, skipping those already
// there or earlier in nums.
func (db *Driver) InsertInventory(ctx context.Context, nums []*switchboard.InventoryNumber, ids []string, at time.Time) ([]bool, error) {
	first := map[string]int{} // number → index of its first occurrence
	var keep, numbers, countries, types []string
	for i, n := range nums {
		if _, dup := first[n.Number]; dup {
			continue
		}
		first[n.Number] = i
		keep = append(keep, ids[i])
		numbers = append(numbers, n.Number)
		countries = append(countries, n.Country)
		types = append(types, n.Type)
	}
	rows, err := db.pool.Query(ctx, `INSERT INTO inventory_numbers (id, number, country, type, created_at)
		SELECT id, number, country, type, $5 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
			AS n(id, number, country, type)
		ON CONFLICT (number) DO NOTHING
		RETURNING number`, keep, numbers, countries, types, at)
	if err != nil {
		return nil, err
	}
	added := make([]bool, len(nums))
	var number string
	for rows.Next() {
		if err := rows.Scan(&number); err != nil {
			rows.Close()
			return nil, err
		}
		added[first[number]] = true
	}
	return added, rows.Err()
}

// InsertPhoneNumber stores a held number. ON CONFLICT waits for a
// concurrent claim of the number to end, and inserts nothing if it
// committed.
func (t *txn) InsertPhoneNumber(ctx context.Context, pn *switchboard.PhoneNumber) (bool, error) {
	tag, err := t.Exec(ctx, `INSERT INTO phone_numbers
		(id, organization_id, inventory_id, status, endpoint_id, fallback_endpoint_id,
		 allow_inbound, allow_outbound, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (inventory_id) DO NOTHING`,
		pn.ID, pn.OrganizationID, pn.InventoryID, pn.Status, pn.EndpointID, pn.FallbackEndpointID,
		pn.AllowInbound, pn.AllowOutbound, ts(pn.CreatedAt), ts(pn.UpdatedAt))
	if err != nil {
		if numberHeld(err) {
			return false, nil
		}
		return false, missingRef(err)
	}
	return tag.RowsAffected() == 1, nil
}

// numberHeld and missingRef map the constraint violations of a write to a
// number: the locks the Service takes keep both from happening; these are
// the backstop.
func numberHeld(err error) bool {
	code, constraint := pgCode(err)
	return code == codeUniqueViolation && constraint == "phone_numbers_inventory_id_key"
}

func missingRef(err error) error {
	if code, constraint := pgCode(err); code == codeForeignKeyViolation &&
		(constraint == "phone_numbers_endpoint_id_fkey" || constraint == "phone_numbers_fallback_endpoint_id_fkey") {
		return switchboard.ErrMissingRef
	}
	return err
}

// findPhoneNumbers returns the organisation's numbers with these IDs,
// ordered by ID, in one query.
func findPhoneNumbers(ctx context.Context, q querier, orgID string, ids []string) ([]*switchboard.PhoneNumber, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := q.Query(ctx, phoneNumberSelect+` WHERE p.organization_id = $1 AND p.id = ANY($2)
		ORDER BY p.id COLLATE "C"`, orgID, ids)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*switchboard.PhoneNumber, error) { return codec.ScanPhoneNumber(r) })
}

// UpdatePhoneNumber stores the number's endpoints, trunk, flags and
// UpdatedAt.
func (t *txn) UpdatePhoneNumber(ctx context.Context, pn *switchboard.PhoneNumber) error {
	_, err := t.Exec(ctx, `UPDATE phone_numbers SET endpoint_id = $1, fallback_endpoint_id = $2,
		allow_inbound = $3, allow_outbound = $4, updated_at = $5, trunk_id = $6
		WHERE organization_id = $7 AND id = $8`,
		pn.EndpointID, pn.FallbackEndpointID, pn.AllowInbound, pn.AllowOutbound, ts(pn.UpdatedAt), pn.TrunkID,
		pn.OrganizationID, pn.ID)
	return missingRef(err)
}

// DeletePhoneNumber deletes the organisation's number.
func (t *txn) DeletePhoneNumber(ctx context.Context, orgID, id string) error {
	_, err := t.Exec(ctx, `DELETE FROM phone_numbers WHERE organization_id = $1 AND id = $2`, orgID, id)
	return err
}

// SIPCredentials looks the username up on the pool (the UNIQUE index
// answers it).
func (db *Driver) SIPCredentials(ctx context.Context, username string) (orgID, phoneNumberID, ha1md5, ha1sha256 string, err error) {
	err = db.pool.QueryRow(ctx, `SELECT organization_id, id, sip_ha1_md5, sip_ha1_sha256 FROM phone_numbers
		WHERE sip_username = $1`, username).Scan(&orgID, &phoneNumberID, &ha1md5, &ha1sha256)
	return orgID, phoneNumberID, ha1md5, ha1sha256, noRows(err)
}

// DeleteInventory deletes the number unless a phone_numbers row holds it.
// The inventory row is locked first: a claim's insert, whose foreign key
// shares that lock, waits, or is seen holding the number.
func (db *Driver) DeleteInventory(ctx context.Context, number string) (string, error) {
	var holder string
	err := db.write(ctx, func(tx *txn) error {
		var id string
		err := tx.QueryRow(ctx, `SELECT id FROM inventory_numbers WHERE number = $1 FOR UPDATE`, number).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return switchboard.ErrNoRows
		}
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `SELECT organization_id FROM phone_numbers WHERE inventory_id = $1`, id).Scan(&holder)
		if err == nil {
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM inventory_numbers WHERE id = $1`, id)
		return err
	})
	return holder, err
}
